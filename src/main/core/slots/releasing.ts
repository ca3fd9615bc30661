/** Released reservations whose memory a GPU has not been seen to give back yet (see SlotManager.release with `hold`). */
import type { SlotId } from '../../../shared/slots/slots.js';
import type { DeviceId } from '../../../shared/slots/state.js';

export interface Releasing {
  id: number;
  slot: SlotId;
  device: DeviceId;
  /** The memory group it was reserved on. */
  group: string;
  bytes: number;
  /** The device's free memory when it was released; the rise from here shows it back. null = not known yet. */
  freeAtRelease: number | null;
}

/** A rise in free memory of this share of a release's bytes counts as "seen released". */
export const RELEASE_SEEN_RATIO = 0.75;

/**
 * The releases of `group` that a new free figure shows back, oldest first (taken out of
 * `releasing`); the rest keep waiting. A release made while free memory was unknown starts
 * from the first figure seen.
 */
export function seenReleased(releasing: Map<number, Releasing>, group: string, free: number): Releasing[] {
  const seen: Releasing[] = [];
  let rise: number | null = null;
  for (const r of releasing.values()) {
    if (r.group !== group) continue;
    if (r.freeAtRelease === null) {
      r.freeAtRelease = free;
      continue;
    }
    rise ??= free - r.freeAtRelease;
    if (rise < RELEASE_SEEN_RATIO * r.bytes) break;
    rise -= r.bytes;
    releasing.delete(r.id);
    seen.push(r);
  }
  return seen;
}
