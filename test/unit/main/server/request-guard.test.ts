import { describe, expect, it } from 'vitest';
import { tokensEqual } from '../../../../src/main/server/request-guard.js';

describe('tokensEqual', () => {
  const token = 'Qm9vdHN0cmFwLXRva2VuLWZvci10ZXN0cy0xMjM0NTY';

  it('accepts the token itself (a different string with the same characters)', () => {
    expect(tokensEqual(token.split('').join(''), token)).toBe(true);
  });

  it.each([
    ['no token', null],
    ['empty', ''],
    ['a prefix', token.slice(0, -1)],
    ['one character longer', `${token}A`],
    ['the last character changed', `${token.slice(0, -1)}X`],
    ['the first character changed', `X${token.slice(1)}`],
    ['the token twice', token + token],
    ['same length, other characters', 'x'.repeat(token.length)],
    ['a character beyond ASCII', `${token.slice(0, -1)}\u00e9`],
  ])('refuses %s', (_label, given) => {
    expect(tokensEqual(given, token)).toBe(false);
  });

  it('refuses a guess that differs only in length, where every compared character matches', () => {
    // A walk over the expected token's characters alone would pass both: the length must count.
    expect(tokensEqual(token.slice(0, 42), token)).toBe(false);
    // The extra character is NUL, which XORs to nothing.
    expect(tokensEqual(`${token}\u0000`, token)).toBe(false);
  });
});
