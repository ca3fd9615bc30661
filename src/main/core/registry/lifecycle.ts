/**
 * The registry's load and release pipeline: files → room (LRU eviction under the memory
 * lock) → reservation → session → measurement, and the way back. It mutates records only
 * on the registry's behalf: the registry hands in its records, its event outlets and its
 * locks, and every public entry point stays in registry.ts (the one writer).
 */
import { formatBytes, formatPercent } from '../../../shared/values/bytes.js';
import type { ActivityEntry } from '../../../shared/contract/activity.js';
import { ModelbayError, toModelbayError } from '../../../shared/errors/errors.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import { modelFilesSentence } from '../../../shared/slots/state-words.js';
import type { DeviceId, EvictionReason, RegistryStats } from '../../../shared/slots/state.js';
import type { SlotManager } from '../slots/slot-manager.js';
import type { Semaphore } from '../async/queues.js';
import type { ReleaseWatch } from './release-watch.js';
import type { SlotRecord } from './slot-record.js';
import type { Clock, ModelSession, RegistryHooks, SessionFactory } from './types.js';

export interface LifecycleContext<S extends ModelSession> {
  factory: SessionFactory<S>;
  slots: SlotManager;
  clock: Clock;
  hooks: RegistryHooks;
  counters: Omit<RegistryStats, 'loaded' | 'bytes'>;
  loadLimit: Semaphore;
  memoryLock: Semaphore;
  releases: ReleaseWatch;
  leaseWaitMs: number;
  record(slot: SlotId): SlotRecord<S>;
  busySlots(): Set<SlotId>;
  changed(r: SlotRecord<S>): void;
  activity(entry: Omit<ActivityEntry, 'at'>): void;
  isClosed(): boolean;
  assertOpen(): void;
}

export class SlotLifecycle<S extends ModelSession> {
  constructor(private readonly c: LifecycleContext<S>) {}

  async loadNow(r: SlotRecord<S>): Promise<S> {
    if (r.runtime === 'loaded' && r.session) return r.session;
    this.c.assertOpen();
    const started = this.c.clock.now();
    const abort = new AbortController();
    r.abort = abort;
    r.runtime = 'loading';
    this.c.changed(r);
    const releaseSlot = await this.c.loadLimit.acquire();
    try {
      if (this.c.hooks.prepare) {
        await this.c.hooks.prepare(r.id, abort.signal);
      } else if (r.artifact !== 'ready') {
        const why = r.artifactError ? { code: r.artifactError.code, reason: r.artifactError.message } : { reason: 'Download them first.' };
        throw new ModelbayError('EMB-E101', modelFilesSentence(r.id, r.artifact, why), { slot: r.id, artifact: r.artifact });
      }
      await this.reserveRoom(r, abort.signal);
      const session = await this.c.factory.create({ slot: r.id, device: r.device, estimateBytes: r.estimateBytes, signal: abort.signal });
      if (this.c.isClosed()) {
        await session.release().catch(() => undefined);
        throw new ModelbayError('EMB-E009', 'Modelbay is shutting down.', { slot: r.id });
      }
      const measured = session.measuredBytes;
      if (typeof measured === 'number' && Number.isFinite(measured) && measured >= 0) {
        this.c.slots.commit(r.id, Math.round(measured));
        r.measuredBytes = Math.round(measured);
      }
      r.session = session;
      r.runtime = 'loaded';
      r.loadError = null;
      r.lastOutcome = 'ok';
      r.loadCount++;
      r.loadedAt = this.c.clock.now();
      r.lastLoadMs = r.loadedAt - started;
      this.c.counters.loads++;
      this.c.slots.touch(r.id);
      this.c.changed(r);
      const used = this.c.slots.allocatedBytesOf(r.id);
      this.c.activity({
        kind: 'loaded', slot: r.id, device: r.device,
        message: `${r.id} loaded on ${r.device} in ${r.lastLoadMs} ms (${formatBytes(used)}${r.measuredBytes !== null ? ' measured' : ' estimated'}).`,
      });
      return session;
    } catch (error) {
      const err = toModelbayError(error, 'EMB-E006');
      this.fail(r, err, 'load-failed', `${r.id} failed to load: ${err.message}`);
      throw err;
    } finally {
      r.abort = null;
      releaseSlot();
      // Outside the memory lock: relief takes it itself. A measurement above the
      // estimate can push the device into Critical; the slot just loaded is spared.
      if (r.runtime === 'loaded') await this.relieve(r.device, r.id, 'critical');
    }
  }

  /**
   * Room for the slot's estimate: evict LRU victims under the memory lock, planning as if
   * memory still being released were back; when only that memory is missing, wait (outside
   * the lock, visibly) until the GPU monitor sees it back or its bounded wait ends.
   */
  private async reserveRoom(r: SlotRecord<S>, signal: AbortSignal): Promise<void> {
    try {
      for (;;) {
        const reserved = await this.c.memoryLock.run(async () => {
          // Plan again after each eviction: a victim is taken while its queue is empty, so
          // we never wait behind work that may itself be waiting for this lock.
          for (;;) {
            const plan = this.c.slots.planRoom(r.device, r.estimateBytes, { slot: r.id, exclude: this.c.busySlots(), assumeReleased: true });
            const victim = plan.victims[0];
            if (victim === undefined) break;
            await this.evictFor(this.c.record(victim), 'lru', r);
          }
          if (this.c.slots.available(r.device) < r.estimateBytes) return false;
          this.c.slots.reserve(r.id, r.device, r.estimateBytes);
          return true;
        });
        if (reserved) return;
        const held = this.c.slots.releasingOn(r.device);
        const whose = [...new Set(held.map((h) => h.slot))].join(', ');
        const waiting = `waiting for ${whose}'s memory to be released on ${r.device}`;
        if (r.waiting !== waiting) {
          r.waiting = waiting;
          this.c.changed(r);
          this.c.activity({ kind: 'info', slot: r.id, device: r.device, message: `${r.id} ${waiting} (${formatBytes(held.reduce((sum, h) => sum + h.bytes, 0))}).` });
        }
        await this.c.releases.changed(signal);
      }
    } finally {
      if (r.waiting !== null) {
        r.waiting = null;
        this.c.changed(r);
      }
    }
  }

  /** Evict to bring a device out of Critical. */
  async relieve(device: DeviceId, spare: SlotId | null, reason: EvictionReason): Promise<SlotId[]> {
    return this.c.memoryLock.run(async () => {
      const evicted: SlotId[] = [];
      for (;;) {
        const exclude = this.c.busySlots();
        if (spare) exclude.add(spare);
        const victim = this.c.slots.planRelief(device, exclude)[0];
        if (victim === undefined) return evicted;
        await this.evictFor(this.c.record(victim), reason, null);
        evicted.push(victim);
      }
    });
  }

  /**
   * Evict a victim while the memory lock is held. Victims are idle slots (no queued
   * work) and this enqueues synchronously, so it runs next in the victim's queue.
   */
  async evictFor(victim: SlotRecord<S>, reason: EvictionReason, forSlot: SlotRecord<S> | null): Promise<void> {
    const before = this.c.slots.pressure(victim.device);
    await victim.queue.run(async () => {
      if (victim.runtime !== 'loaded') return;
      await this.release(victim, reason, { level: before.level, ratio: before.ratio, forSlot: forSlot?.id ?? null });
    });
  }

  async release(
    r: SlotRecord<S>,
    reason: EvictionReason | null,
    context: { level?: string; ratio?: number; forSlot?: SlotId | null } = {},
  ): Promise<void> {
    const session = r.session;
    r.draining = true;
    r.runtime = 'unloading';
    this.c.changed(r);
    if (r.leases > 0) await this.leasesDone(r);
    r.draining = false;
    let releaseError: unknown = null;
    try {
      await session?.release();
    } catch (e) {
      // The memory is gone with the session either way (hosts die with their sessions);
      // record the failure but never leave the slot stuck in `unloading`.
      releaseError = e;
    }
    // On a GPU the bytes stay "releasing" until the monitor sees them back (release-watch.ts).
    const freed = this.c.slots.isAllocated(r.id) ? this.c.releases.release(r.id) : 0;
    r.session = null;
    r.runtime = 'idle';
    this.c.counters.unloads++;
    if (reason) this.c.counters.evictions++;
    this.c.changed(r);
    if (reason) {
      const p = this.c.slots.pressure(r.device);
      const why = reason === 'lru'
        ? `LRU, making room for ${context.forSlot ?? 'a load'}`
        : reason === 'critical' ? `LRU, budget Critical ${formatPercent(context.ratio ?? p.ratio)}`
          : reason === 'idle' ? `idle for longer than ${Math.round((r.idleTtlMs ?? 0) / 1000)} s`
            : reason === 'manual' ? 'by hand' : reason;
      this.c.activity({
        kind: 'evicted', slot: r.id, reason, device: r.device, level: p.level, ratio: p.ratio,
        message: `${r.id} evicted: ${why} (freed ${formatBytes(freed)}; ${r.device} now ${p.level} ${formatPercent(p.ratio)}).`,
      });
    } else {
      this.c.activity({ kind: 'unloaded', slot: r.id, device: r.device, message: `${r.id} unloaded (freed ${formatBytes(freed)}).` });
    }
    if (releaseError) {
      const err = toModelbayError(releaseError);
      this.c.activity({ kind: 'error', slot: r.id, code: err.code, message: `${r.id}: releasing its session reported: ${err.message}` });
    }
  }

  // ── internals: records and views ───────────────────────────────────────────────

  /** Bounded: a session whose work never ends is released after leaseWaitMs all the same. */
  private leasesDone(r: SlotRecord<S>): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.c.leaseWaitMs);
      timer.unref?.();
      r.leaseWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** A session died with its host: free its memory and mark the slot failed with the reason. */
  async sessionLost(r: SlotRecord<S>, error: unknown): Promise<void> {
    const err = toModelbayError(error, 'EMB-E203');
    await r.queue.run(() => {
      if (r.runtime !== 'loaded') return Promise.resolve();
      this.fail(r, err, 'session-lost', `${r.id} lost its session: ${err.message}`);
      return Promise.resolve();
    });
  }

  /** Unload slots idle for longer than their TTL (pinned slots stay). */
  async sweepIdle(records: ReadonlyArray<SlotRecord<S>>): Promise<SlotId[]> {
    const now = this.c.clock.now();
    const due: SlotRecord<S>[] = [];
    for (const r of records) {
      if (r.runtime !== 'loaded' || r.idleTtlMs === null || this.c.slots.isPinned(r.id) || r.queue.pending > 0) continue;
      const last = this.c.slots.lastUsedAt(r.id) ?? r.loadedAt ?? now;
      if (now - last >= r.idleTtlMs) due.push(r);
    }
    await Promise.all(due.map((r) => r.queue.run(async () => {
      if (r.runtime === 'loaded') await this.release(r, 'idle');
    })));
    return due.map((r) => r.id);
  }

  /** See ModelRegistry.use: `get` loads the slot (or finds it loaded) and counts the use. */
  async use<T>(r: SlotRecord<S>, get: () => Promise<S>, fn: (session: S) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const session = await get();
      if (r.runtime === 'loaded' && r.session === session && !r.draining) return await this.leased(r, session, fn);
      if (attempt >= 3) {
        throw new ModelbayError('EMB-E007', `${r.id} kept being unloaded while this request waited for it; try again.`, { slot: r.id, attempts: attempt + 1 });
      }
      // A release is under way: wait until the slot's queue has moved past it.
      await r.queue.run(() => Promise.resolve());
    }
  }

  /** See ModelRegistry.withLoaded: a lease only on a session loaded now; null otherwise. */
  async withLoaded<T>(r: SlotRecord<S>, fn: (session: S) => Promise<T>): Promise<T | null> {
    if (r.runtime !== 'loaded' || !r.session || r.draining) return null;
    return this.leased(r, r.session, fn);
  }

  /** Hold a lease on `session` while `fn` runs; the last lease out wakes a waiting release. */
  private async leased<T>(r: SlotRecord<S>, session: S, fn: (session: S) => Promise<T>): Promise<T> {
    r.leases++;
    try {
      return await fn(session);
    } finally {
      r.leases--;
      if (r.leases === 0) for (const wake of r.leaseWaiters.splice(0)) wake();
    }
  }

  /** The slot has no session any more: free what it held, record why, tell the dashboard. */
  private fail(r: SlotRecord<S>, err: ModelbayError, kind: 'load-failed' | 'session-lost', message: string): void {
    if (this.c.slots.isAllocated(r.id)) this.c.slots.release(r.id);
    r.session = null;
    r.runtime = 'idle';
    r.loadError = err.toJSON();
    r.lastOutcome = 'failed';
    r.failures++;
    this.c.counters.failures++;
    this.c.changed(r);
    this.c.activity({ kind, slot: r.id, code: err.code, device: r.device, message });
  }
}
