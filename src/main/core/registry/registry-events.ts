/**
 * The registry's outgoing events: one listener set, activity entries stamped with the
 * clock, and the derived device and stats events, each sent only when it really changed.
 * It reads the slot manager and the registry's stats; it changes no state.
 */
import type { ActivityEntry } from '../../../shared/contract/activity.js';
import type { DeviceBudgetSnapshot, RegistryStats, SlotSnapshot } from '../../../shared/slots/state.js';
import type { Timers } from '../async/timers.js';
import type { SlotManager } from '../slots/slot-manager.js';

/**
 * The least time between two `derived` events caused by hits. Serving makes a hit per
 * request; at one per event-loop turn, stringifying devices and stats and pushing them to
 * every dashboard cost main 3 % of its time under load (bench:serve's profile), and the
 * renderer redrew per turn. Ten a second is still live to the eye.
 */
export const DERIVED_MIN_GAP_MS = 100;

export type RegistryEvent =
  | { type: 'slot'; slot: SlotSnapshot }
  | { type: 'activity'; entry: ActivityEntry }
  | { type: 'stats'; stats: RegistryStats }
  | { type: 'devices'; devices: DeviceBudgetSnapshot[] };

export type RegistryListener = (event: RegistryEvent) => void;

export class RegistryEvents {
  private readonly listeners = new Set<RegistryListener>();
  private readonly lastDerived = { devices: '', stats: '' };
  private derivedPending = false;
  private lastDerivedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly source: { slots: SlotManager; stats: () => RegistryStats; now: () => number; timers: Timers }) {}

  on(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A hit changes only counters: one `derived` for all hits of this turn of the event
   * loop, and at most one per DERIVED_MIN_GAP_MS (serving makes thousands a second).
   */
  derivedSoon(): void {
    if (this.derivedPending) return;
    this.derivedPending = true;
    const run = (): void => {
      this.derivedPending = false;
      this.derived();
    };
    const wait = Math.min(DERIVED_MIN_GAP_MS, this.lastDerivedAt + DERIVED_MIN_GAP_MS - this.source.now());
    if (wait > 0) this.source.timers.setTimeout(run, wait);
    else setImmediate(run);
  }

  /** Devices and stats follow slot changes: each is sent only when it really changed. */
  derived(): void {
    this.lastDerivedAt = this.source.now();
    const devices = this.source.slots.snapshots();
    const d = JSON.stringify(devices);
    if (d !== this.lastDerived.devices) {
      this.lastDerived.devices = d;
      this.emit({ type: 'devices', devices });
    }
    const stats = this.source.stats();
    const st = JSON.stringify(stats);
    if (st !== this.lastDerived.stats) {
      this.lastDerived.stats = st;
      this.emit({ type: 'stats', stats });
    }
  }

  activity(entry: Omit<ActivityEntry, 'at'>): void {
    this.emit({ type: 'activity', entry: { at: this.source.now(), ...entry } });
  }

  emit(event: RegistryEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure is its own; the registry's state is already consistent.
      }
    }
  }
}
