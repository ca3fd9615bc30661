/** What a Load would do, computed before the click by the registry's own planner. */
import type { SerializedError } from '../errors/errors.js';
import type { SlotId } from './slots.js';
import type { PressureLevel } from './state.js';

export interface LoadPreview {
  slot: SlotId;
  device: string;
  /** The bytes the load reserves first (the slot's estimate). */
  estimateBytes: number;
  /** The slot is loaded already: a Load would only count a use. */
  alreadyLoaded: boolean;
  /** Slots that would be evicted, least recently used first; pinned and busy slots are never chosen. */
  evicts: Array<{ slot: SlotId; bytes: number }>;
  freedBytes: number;
  /** The device's budget pressure after the load (null when the load would be refused). */
  after: { allocatedBytes: number; budgetBytes: number; ratio: number; level: PressureLevel } | null;
  /** The refusal the load would meet (EMB-E003 when it cannot fit even after evicting). */
  error: SerializedError | null;
}
