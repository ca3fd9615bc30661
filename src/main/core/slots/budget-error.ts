/** EMB-E003: a reservation that does not fit, with the figures and the one remedy that applies. */
import { formatBytes, formatPercent } from '../../../shared/values/bytes.js';
import { ModelbayError } from '../../../shared/errors/errors.js';
import { SLOT_COUNT, type SlotId } from '../../../shared/slots/slots.js';
import type { DeviceId } from '../../../shared/slots/state.js';

export interface BudgetShortfall {
  slot: SlotId | null;
  device: DeviceId;
  requested: number;
  available: number;
  budgetBytes: number;
  /** Reserved on the device's memory group. */
  allocatedBytes: number;
  deviceFreeBytes: number | null;
  /** Devices drawing from the same memory (compute instances of one MIG GPU instance). */
  sharedWith: DeviceId[];
  pinned: Array<{ slot: SlotId; bytes: number }>;
  loaded: number;
}

export function budgetError(f: BudgetShortfall): ModelbayError {
  const pinnedBytes = f.pinned.reduce((s, a) => s + a.bytes, 0);
  const deviceLimited = f.deviceFreeBytes !== null && f.deviceFreeBytes < f.budgetBytes - f.allocatedBytes;
  let suggestion: string;
  if (f.requested > f.budgetBytes) {
    suggestion = `The model alone is larger than the ${formatBytes(f.budgetBytes)} budget of ${f.device}: raise the budget to at least ${formatBytes(f.requested)} or move the slot to another device.`;
  } else if (deviceLimited) {
    suggestion = `Other processes use the memory of ${f.device} (${formatBytes(f.deviceFreeBytes ?? 0)} free): close them, or move the slot to another device.`;
  } else if (f.pinned.length > 0) {
    suggestion = `Unpin ${f.pinned.map((a) => a.slot).join(', ')} (pinned, ${formatBytes(pinnedBytes)}) so they can be evicted, raise the budget, or move the slot to another device.`;
  } else {
    suggestion = `Evict a loaded slot, raise the budget, or move the slot to another device.`;
  }
  const who = f.slot ? `${f.slot} needs` : 'The request needs';
  const shared = f.sharedWith.length > 0 ? ` shared with ${f.sharedWith.join(', ')}` : '';
  const message =
    `${who} ${formatBytes(f.requested)} on ${f.device} but only ${formatBytes(f.available)} is available ` +
    `(budget ${formatBytes(f.budgetBytes)}${shared}, allocated ${formatBytes(f.allocatedBytes)} = ${formatPercent(f.allocatedBytes / f.budgetBytes)}, ` +
    `loaded ${f.loaded}/${SLOT_COUNT}). ${suggestion}`;
  return new ModelbayError('EMB-E003', message, {
    slot: f.slot,
    device: f.device,
    requested: f.requested,
    available: f.available,
    budget: f.budgetBytes,
    allocated: f.allocatedBytes,
    deviceFree: f.deviceFreeBytes,
    loaded: f.loaded,
    total: SLOT_COUNT,
    pinned: f.pinned.map((a) => a.slot),
    suggestion,
  });
}
