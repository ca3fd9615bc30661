import { describe, expect, it } from 'vitest';
import { retryText } from '../../../src/renderer/src/display/retry-text.js';

describe('retryText', () => {
  const retry = { attempt: 3, of: 6, code: 'EMB-E107' as const, message: 'network error', nextAt: 10_000 };

  it('counts down to the next try and names the attempt and the error', () => {
    expect(retryText(retry, 6_000)).toBe('retrying in 4 s (attempt 3 of 6) — EMB-E107 network error');
    expect(retryText(retry, 9_200)).toBe('retrying in 1 s (attempt 3 of 6) — EMB-E107 network error');
  });

  it('says "now" once the wait is over or unknown', () => {
    expect(retryText(retry, 12_000)).toBe('retrying now (attempt 3 of 6) — EMB-E107 network error');
    expect(retryText({ ...retry, nextAt: null }, 0)).toBe('retrying now (attempt 3 of 6) — EMB-E107 network error');
  });
});
