import type { LoadPreview } from '../../../shared/slots/load-preview.js';
import { toModelbayError } from '../../../shared/errors/errors.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import type { DeviceId } from '../../../shared/slots/state.js';
import { pressureLevel } from '../slots/pressure.js';
import type { SlotManager } from '../slots/slot-manager.js';

export interface PreviewInput {
  slot: SlotId;
  device: DeviceId;
  estimateBytes: number;
  loaded: boolean;
  /** Slots the registry would not evict now (busy, or the slot itself). */
  exclude: ReadonlySet<SlotId>;
}

/**
 * A load's outcome from SlotManager.planRoom, the planner the registry's load runs: the
 * same victims in the same order, the pressure after, or the error it would throw.
 * It only reads, so previewing changes no state and no LRU order.
 */
export function previewLoad(slots: SlotManager, input: PreviewInput): LoadPreview {
  const { slot, device, estimateBytes } = input;
  const base = { slot, device, estimateBytes, alreadyLoaded: input.loaded, evicts: [], freedBytes: 0 };
  const budget = slots.snapshot(device);
  if (input.loaded) {
    return { ...base, after: { allocatedBytes: budget.allocatedBytes, budgetBytes: budget.budgetBytes, ratio: budget.ratio, level: budget.level }, error: null };
  }
  try {
    const plan = slots.planRoom(device, estimateBytes, { slot, exclude: input.exclude });
    const evicts = plan.victims.map((v) => ({ slot: v, bytes: slots.allocatedBytesOf(v) }));
    const allocatedBytes = budget.allocatedBytes - plan.freedBytes + estimateBytes;
    const ratio = allocatedBytes / budget.budgetBytes;
    return { ...base, evicts, freedBytes: plan.freedBytes, after: { allocatedBytes, budgetBytes: budget.budgetBytes, ratio, level: pressureLevel(ratio, slots.getThresholds()) }, error: null };
  } catch (error) {
    return { ...base, after: null, error: toModelbayError(error).toJSON() };
  }
}
