import { MB } from '../../../shared/values/bytes.js';
import type { SlotId } from '../../../shared/slots/slots.js';

/** The seed design's quantized size estimates per slot (MB): about 1.6 GB for all 13. */
export const SEED_ESTIMATE_MB: Readonly<Record<SlotId, number>> = {
  E1: 200, E2: 100, E3: 100, E4: 100, E5: 150, E6: 50, E7: 300,
  E8: 75, E9: 50, E10: 150, E11: 75, E12: 200, E13: 50,
};

export function seedEstimateBytes(slot: SlotId): number {
  return SEED_ESTIMATE_MB[slot] * MB;
}
