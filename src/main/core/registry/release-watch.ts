/**
 * Waiting for freed GPU memory to be really free. CUDA gives a session's memory back when
 * the host lets go of it, sometimes seconds after the unload; loading the next model into
 * memory still held overcommits the device. So a GPU release stays "releasing" in the slot
 * manager (still counted) until the GPU monitor sees the device's free memory rise by about
 * that amount, or until a bounded time passes; then it is logged and counted free (the
 * device's reported free memory still limits what fits, so a load into memory that never
 * came back fails with EMB-E003 instead of overcommitting). Loads that need that memory
 * wait for `changed()`. The CPU budget never waits.
 */
import { formatBytes } from '../../../shared/values/bytes.js';
import type { ActivityEntry } from '../../../shared/contract/activity.js';
import { ModelbayError } from '../../../shared/errors/errors.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import type { DeviceId } from '../../../shared/slots/state.js';
import type { Timers } from '../async/timers.js';
import type { Releasing } from '../slots/releasing.js';
import type { SlotManager } from '../slots/slot-manager.js';

export const DEFAULT_RELEASE_WAIT_MS = 5000;

export interface ReleaseWatchOptions {
  slots: SlotManager;
  timers: Timers;
  /** The bounded wait, or a function read at each release so a settings change applies to the next one; 0 = never wait. */
  waitMs: number | (() => number);
  activity: (entry: Omit<ActivityEntry, 'at'>) => void;
}

export class ReleaseWatch {
  private readonly timers = new Map<number, unknown>();
  private waiters: Array<() => void> = [];

  private readonly waitMs: () => number;

  constructor(private readonly o: ReleaseWatchOptions) {
    const wait = o.waitMs;
    this.waitMs = typeof wait === 'function' ? wait : () => wait;
  }

  /** Whether a release on `device` is held until it is seen: GPUs only, and only with a wait set. */
  holds(device: DeviceId): boolean {
    return device.startsWith('cuda:') && this.waitMs() > 0;
  }

  /** Free a slot's reservation; on a GPU it stays "releasing" until seen or timed out. Returns the bytes freed. */
  release(slot: SlotId): number {
    const device = this.o.slots.deviceOf(slot);
    const { bytes, releasing } = this.o.slots.releaseHeld(slot, { hold: device !== null && this.holds(device) });
    if (releasing) this.watch(releasing);
    return bytes;
  }

  private watch(r: Releasing): void {
    const waitMs = this.waitMs();
    this.timers.set(r.id, this.o.timers.setTimeout(() => {
      this.timers.delete(r.id);
      if (!this.o.slots.forgetRelease(r.id)) return;
      this.o.activity({
        kind: 'info', slot: r.slot, device: r.device,
        message: `${r.slot}'s ${formatBytes(r.bytes)} on ${r.device} were not seen released within ${waitMs / 1000} s; counting them free (loads still fit only into the memory the device reports free).`,
      });
      this.wake();
    }, waitMs));
  }

  /** After a GPU sample: releases the monitor saw come back end their wait. */
  settle(): void {
    const settled = this.o.slots.takeSettled();
    for (const r of settled) {
      const t = this.timers.get(r.id);
      if (t !== undefined) this.o.timers.clearTimeout(t);
      this.timers.delete(r.id);
    }
    if (settled.length > 0) this.wake();
  }

  /** Resolves at the next settled or timed-out release; rejects when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(new ModelbayError('EMB-E006', 'The load was cancelled while it waited for memory to be released.', {}));
        return;
      }
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new ModelbayError('EMB-E006', 'The load was cancelled while it waited for memory to be released.', {}));
      };
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(done);
    });
  }

  /** Stop every bounded wait (shutdown); nothing is awaited any more. */
  clear(): void {
    for (const [id, t] of this.timers) {
      this.o.timers.clearTimeout(t);
      this.o.slots.forgetRelease(id);
    }
    this.timers.clear();
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
