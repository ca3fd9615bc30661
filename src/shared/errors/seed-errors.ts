/**
 * The error names of the slot-system seed Modelbay grew from, and the stable codes they
 * became. Clients ported from the seed map their names with this table; the README
 * shows it. AlreadyLoaded is not an error for Modelbay (loading is idempotent): `load`
 * answers `alreadyLoaded: true` instead, and EMB-E024 names that case where a code is needed.
 */
import type { ErrorCode } from './errors.js';

export const SEED_ERROR_CODES = {
  ModelNotLoaded: 'EMB-E005',
  AlreadyLoaded: 'EMB-E024',
  MemoryBudgetExceeded: 'EMB-E003',
} as const satisfies Record<string, ErrorCode>;

export type SeedErrorName = keyof typeof SEED_ERROR_CODES;

/** The seed's name for a code, when it had one. */
export function seedErrorName(code: ErrorCode): SeedErrorName | null {
  for (const [name, c] of Object.entries(SEED_ERROR_CODES) as Array<[SeedErrorName, ErrorCode]>) if (c === code) return name;
  return null;
}
