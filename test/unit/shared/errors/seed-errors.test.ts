import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../../src/shared/errors/errors.js';
import { SEED_ERROR_CODES, seedErrorName } from '../../../../src/shared/errors/seed-errors.js';

describe('seed error names', () => {
  it('map to stable EMB codes that exist, and back', () => {
    expect(SEED_ERROR_CODES).toEqual({ ModelNotLoaded: 'EMB-E005', AlreadyLoaded: 'EMB-E024', MemoryBudgetExceeded: 'EMB-E003' });
    for (const code of Object.values(SEED_ERROR_CODES)) expect(ERROR_CODES[code]).toBeTruthy();
    expect(seedErrorName('EMB-E003')).toBe('MemoryBudgetExceeded');
    expect(seedErrorName('EMB-E101')).toBeNull();
  });
});
