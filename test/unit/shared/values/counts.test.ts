import { describe, expect, it } from 'vitest';
import { count, noun } from '../../../../src/shared/values/counts.js';

describe('count', () => {
  it('says one thing in the singular and any other number in the plural', () => {
    expect(count(1, 'use')).toBe('1 use');
    expect(count(2, 'use')).toBe('2 uses');
    expect(count(0, 'model')).toBe('0 models');
    expect(count(1, 'repository', 'repositories')).toBe('1 repository');
    expect(count(3, 'repository', 'repositories')).toBe('3 repositories');
  });

  it('groups thousands as the dashboard does', () => {
    expect(count(1204, 'file')).toBe('1,204 files');
  });

  it('gives the noun alone for a number shown apart', () => {
    expect(noun(1, 'slot')).toBe('slot');
    expect(noun(13, 'slot')).toBe('slots');
    expect(noun(2, 'entry', 'entries')).toBe('entries');
  });
});
