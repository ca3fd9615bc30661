import { ModelbayError } from '../../../shared/errors/errors.js';
import { isSlotId, type SlotId } from '../../../shared/slots/slots.js';

/** The largest size we accept for one reservation or budget: 16 TiB, far above any GPU. */
export const MAX_BYTES = 2 ** 44;

export function assertSlotId(value: unknown): SlotId {
  if (!isSlotId(value)) {
    throw new ModelbayError('EMB-E001', `Unknown slot ${JSON.stringify(value)}: slots are E1 to E13.`, { slot: String(value) });
  }
  return value;
}

export function assertBytes(value: unknown, what: string, { allowZero = true } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !Number.isInteger(value) || value < 0 || value > MAX_BYTES || (!allowZero && value === 0)) {
    throw new ModelbayError(
      'EMB-E002',
      `${what} must be a whole number of bytes ${allowZero ? 'from 0' : 'above 0'} up to 16 TiB; got ${String(value)}.`,
      { what, value: String(value) },
    );
  }
  return value;
}
