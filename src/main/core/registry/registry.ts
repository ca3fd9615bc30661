/**
 * The model registry: the one owner of slot state (like Ollama's scheduler). Every
 * lifecycle operation on a slot runs in that slot's serial queue; memory decisions
 * (plan room → evict → reserve) run under one lock so two loads never count the same
 * free bytes; events are emitted after the state has changed.
 */
import { ModelbayError, toModelbayError, type SerializedError } from '../../../shared/errors/errors.js';
import type { GpuSample } from '../../../shared/devices/gpu.js';
import { SLOT_IDS, type SlotId } from '../../../shared/slots/slots.js';
import type { ArtifactState, DeviceBudgetSnapshot, DeviceId, EvictionReason, PressureThresholds, RegistryStats, SlotSnapshot } from '../../../shared/slots/state.js';
import { applyGpuSample, type BudgetFor } from '../gpu/gpu-devices.js';
import { SlotManager } from '../slots/slot-manager.js';
import type { LoadPreview } from '../../../shared/slots/load-preview.js';
import { previewLoad } from './load-preview.js';
import { assertBytes, assertSlotId } from '../slots/validate.js';
import { Semaphore } from '../async/queues.js';
import { SlotLifecycle } from './lifecycle.js';
import { ReleaseWatch } from './release-watch.js';
import { moveRecord, placeRecord, type PlacementContext } from './slot-placement.js';
import { RegistryEvents, type RegistryListener } from './registry-events.js';
import { assertLoaded, assertLoadedNow, recordFromConfig, recordView, type SlotRecord } from './slot-record.js';
import type { Clock, ModelSession, RegistryHooks, RegistryOptions, SessionFactory, Timers } from './types.js';

export { unrefTimers } from '../async/timers.js';
import { unrefTimers } from '../async/timers.js';

export type { RegistryEvent, RegistryListener } from './registry-events.js';
export type { RegistryOptions } from './types.js';

export class ModelRegistry<S extends ModelSession = ModelSession> {
  readonly slots: SlotManager;
  private readonly factory: SessionFactory<S>;
  private readonly records = new Map<SlotId, SlotRecord<S>>();
  private readonly loadLimit: Semaphore;
  private readonly memoryLock = new Semaphore(1);
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly hooks: RegistryHooks;
  private readonly events: RegistryEvents;
  private readonly counters: Omit<RegistryStats, 'loaded' | 'bytes'> = { loads: 0, unloads: 0, hits: 0, failures: 0, evictions: 0 };
  private readonly estimator: ((slot: SlotId, device: DeviceId) => number) | null;
  private readonly leaseWaitMs: number;
  private readonly lifecycle: SlotLifecycle<S>;
  private readonly releases: ReleaseWatch;
  private sweepHandle: unknown = null;
  private closed = false;

  constructor(options: RegistryOptions<S>) {
    this.factory = options.factory;
    this.slots = options.slots;
    this.clock = options.clock ?? { now: Date.now };
    this.timers = options.timers ?? unrefTimers;
    this.hooks = options.hooks ?? {};
    this.estimator = options.estimate ?? null;
    this.leaseWaitMs = options.leaseWaitMs ?? 30_000;
    this.loadLimit = new Semaphore(this.checkLoadLimit(options.maxParallelLoads ?? 2));
    this.events = new RegistryEvents({ slots: this.slots, stats: () => this.stats(), now: () => this.clock.now(), timers: this.timers });
    const configs = new Map((options.configs ?? []).map((c) => [assertSlotId(c.id), c]));
    for (const id of SLOT_IDS) this.records.set(id, recordFromConfig<S>(id, configs.get(id), { slots: this.slots, estimate: this.estimator }));
    this.releases = new ReleaseWatch({ slots: this.slots, timers: this.timers, activity: (entry) => this.events.activity(entry), waitMs: options.releaseWaitMs ?? 0 });
    this.lifecycle = new SlotLifecycle<S>({
      factory: this.factory, slots: this.slots, clock: this.clock, hooks: this.hooks, counters: this.counters,
      loadLimit: this.loadLimit, memoryLock: this.memoryLock, releases: this.releases, leaseWaitMs: this.leaseWaitMs,
      record: (slot) => this.record(slot),
      busySlots: () => this.busySlots(),
      changed: (r) => this.changed(r),
      activity: (entry) => this.events.activity(entry),
      isClosed: () => this.closed,
      assertOpen: () => this.assertOpen(),
    });
  }

  // ── events ─────────────────────────────────────────────────────────────────────

  on(listener: RegistryListener): () => void {
    return this.events.on(listener);
  }

  // ── queries ────────────────────────────────────────────────────────────────────

  snapshot(slot: SlotId): SlotSnapshot {
    return this.view(this.record(slot));
  }

  snapshots(): SlotSnapshot[] {
    return SLOT_IDS.map((id) => this.view(this.record(id)));
  }

  stats(): RegistryStats {
    let loaded = 0;
    let bytes = 0;
    for (const r of this.records.values()) {
      if (r.runtime === 'loaded') {
        loaded++;
        bytes += this.slots.allocatedBytesOf(r.id);
      }
    }
    return { loaded, bytes, ...this.counters };
  }

  /** What load(slot) would do now (evictions, pressure after, or its refusal); changes nothing. */
  previewLoad(slot: SlotId): LoadPreview {
    const r = this.record(slot);
    return previewLoad(this.slots, { slot: r.id, device: r.device, estimateBytes: r.estimateBytes, loaded: r.runtime === 'loaded', exclude: this.busySlots() });
  }

  /** The session of a loaded slot without loading it (and without counting a use). */
  peek(slot: SlotId): S | null {
    const r = this.record(slot);
    return r.runtime === 'loaded' ? r.session : null;
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────

  /** The slot's session, loading it on first use. Concurrent calls share one load. */
  async get(slot: SlotId): Promise<S> {
    const r = this.record(slot);
    this.assertOpen();
    if (r.runtime === 'loaded' && r.session) {
      r.useCount++;
      this.counters.hits++;
      this.slots.touch(r.id);
      this.events.derivedSoon();
      return r.session;
    }
    // A use counts once it has a session: a failed load is the slot's failure, not a use.
    const waited = r.inflight;
    const session = await (waited ?? this.startLoad(r));
    r.useCount++;
    if (!waited) this.changed(r);
    else {
      this.counters.hits++;
      this.events.derivedSoon();
    }
    return session;
  }

  /** Load a slot without counting a use (preload, the Load button). */
  async load(slot: SlotId): Promise<S> {
    const r = this.record(slot);
    this.assertOpen();
    if (r.runtime === 'loaded' && r.session) return r.session;
    if (r.inflight) return r.inflight;
    return this.startLoad(r);
  }

  /**
   * Run `fn` on the slot's session while holding a lease on it (loading it on first use):
   * an unload or eviction waits for the lease, and LRU never picks a leased slot. A use
   * that meets a release already under way waits for it and loads the slot again.
   */
  use<T>(slot: SlotId, fn: (session: S) => Promise<T>): Promise<T> {
    return this.lifecycle.use(this.record(slot), () => this.get(slot), fn);
  }

  /**
   * Run `fn` under a lease only if the slot is loaded now, without loading it and without
   * counting a use (no LRU touch): for health probes. null when the slot is not loaded.
   */
  withLoaded<T>(slot: SlotId, fn: (session: S) => Promise<T>): Promise<T | null> {
    return this.lifecycle.withLoaded(this.record(slot), fn);
  }

  /** Unload a loaded slot. A slot that is not loaded is EMB-E005 (nothing changes). */
  async unload(slot: SlotId): Promise<void> {
    const r = this.record(slot);
    assertLoaded(r);
    await r.queue.run(async () => {
      assertLoadedNow(r);
      await this.lifecycle.release(r, null);
    });
  }

  /** Evict by hand. A pinned slot needs `force`; otherwise EMB-E004 and nothing changes. */
  async evict(slot: SlotId, options: { force?: boolean } = {}): Promise<void> {
    const r = this.record(slot);
    assertLoaded(r);
    if (this.slots.isPinned(r.id) && !options.force) {
      throw new ModelbayError('EMB-E004', `${slot} is pinned: unpin it first, or evict with force.`, { slot });
    }
    await r.queue.run(async () => {
      assertLoadedNow(r);
      await this.lifecycle.release(r, 'manual');
    });
  }

  pin(slot: SlotId): void {
    const r = this.record(slot);
    if (this.slots.isPinned(r.id)) return;
    this.slots.pin(r.id);
    this.changed(r);
    this.events.activity({ kind: 'pinned', slot: r.id, message: `${r.id} pinned: it will not be evicted automatically.` });
  }

  unpin(slot: SlotId): void {
    const r = this.record(slot);
    if (!this.slots.isPinned(r.id)) return;
    this.slots.unpin(r.id);
    this.changed(r);
    this.events.activity({ kind: 'unpinned', slot: r.id, message: `${r.id} unpinned: it may be evicted when room is needed.` });
  }

  setPreload(slot: SlotId, preload: boolean): void {
    const r = this.record(slot);
    if (typeof preload !== 'boolean') throw new ModelbayError('EMB-E002', 'preload must be true or false.', { slot });
    r.preload = preload;
    this.changed(r);
  }

  setIdleTtl(slot: SlotId, ttlMs: number | null): void {
    const r = this.record(slot);
    r.idleTtlMs = ttlMs === null ? null : assertBytes(ttlMs, `The idle time-out of ${slot} (ms)`, { allowZero: false });
    this.changed(r);
  }

  /** Change the estimate used for the next load (e.g. once the files' sizes are known). */
  setEstimate(slot: SlotId, bytes: number): void {
    const r = this.record(slot);
    const next = assertBytes(bytes, `The estimate of ${slot}`);
    if (next === r.estimateBytes) return;
    r.estimateBytes = next;
    this.changed(r);
  }

  /** Ask the estimator again for one slot (its files or device changed), or for all. */
  refreshEstimates(slots: readonly SlotId[] = SLOT_IDS): void {
    if (!this.estimator) return;
    for (const slot of slots) this.setEstimate(slot, this.estimator(slot, this.record(slot).device));
  }

  /**
   * Move a slot to another device; only while it is not loaded. With `whenAvailable`, a
   * device not seen yet (GPUs appear with the first sample) is remembered and the slot
   * moves there when it appears; otherwise an unknown device is EMB-E008.
   */
  setDevice(slot: SlotId, device: DeviceId, options: { whenAvailable?: boolean } = {}): void {
    moveRecord(this.record(slot), device, options, this.placement());
  }

  /** Where slots go that the user placed nowhere: `defaultDevice` once it exists. Idle slots move to their wanted device. */
  placeSlots(defaultDevice: DeviceId): void {
    for (const r of this.records.values()) placeRecord(r, defaultDevice, this.placement());
  }

  private placement(): PlacementContext<S> {
    return { slots: this.slots, estimator: this.estimator, changed: (r) => this.changed(r) };
  }

  // ── devices and budgets (the slot manager has no other writer) ─────────────────

  devices(): DeviceBudgetSnapshot[] {
    return this.slots.snapshots();
  }

  hasDevice(device: DeviceId): boolean {
    return this.slots.hasDevice(device);
  }

  setBudget(device: DeviceId, bytes: number): void {
    this.slots.setBudget(device, bytes);
    this.events.derived();
  }

  setThresholds(thresholds: PressureThresholds): void {
    this.slots.setThresholds(thresholds);
    this.events.derived();
  }

  /** A GPU sample: new GPUs become devices (with `budgetFor`'s budget), free memory follows. Returns the devices added. */
  syncGpus(sample: GpuSample, budgetFor: BudgetFor): DeviceId[] {
    const added = applyGpuSample(this.slots, sample, budgetFor);
    this.releases.settle();
    this.events.derived();
    return added;
  }

  /** The artifact manager reports where a slot's files stand. */
  setArtifactState(slot: SlotId, state: ArtifactState, error: SerializedError | null = null): void {
    const r = this.record(slot);
    r.artifact = state;
    r.artifactError = state === 'failed' ? error : null;
    if (state === 'ready' && r.runtime === 'idle') r.loadError = null;
    this.changed(r);
  }

  setMaxParallelLoads(limit: number): void {
    this.loadLimit.setLimit(this.checkLoadLimit(limit));
  }

  /** Preload every slot marked preload. Failures are reported per slot, not thrown. */
  async initialize(): Promise<Array<{ slot: SlotId; ok: boolean; error?: SerializedError }>> {
    const targets = SLOT_IDS.filter((id) => this.record(id).preload);
    const results = await Promise.allSettled(targets.map((id) => this.load(id)));
    return results.map((res, i) => {
      const slot = targets[i] as SlotId;
      return res.status === 'fulfilled' ? { slot, ok: true } : { slot, ok: false, error: toModelbayError(res.reason).toJSON() };
    });
  }

  /** Budget or thresholds changed: evict LRU unpinned slots until no device is Critical. */
  async rebalance(reason: EvictionReason = 'budget-change'): Promise<SlotId[]> {
    const out: SlotId[] = [];
    for (const device of this.slots.listDevices()) out.push(...(await this.lifecycle.relieve(device, null, reason)));
    return out;
  }

  /** Unload slots idle for longer than their TTL (pinned slots stay). */
  sweepIdle(): Promise<SlotId[]> {
    return this.lifecycle.sweepIdle([...this.records.values()]);
  }

  /** Sweep idle slots periodically with the injected timers. */
  startIdleSweeper(everyMs = 10_000): void {
    this.stopIdleSweeper();
    this.sweepHandle = this.timers.setInterval(() => {
      this.sweepIdle().catch((e: unknown) => this.events.activity({ kind: 'error', slot: null, message: `Idle sweep failed: ${toModelbayError(e).message}` }));
    }, everyMs);
  }

  stopIdleSweeper(): void {
    if (this.sweepHandle !== null) this.timers.clearInterval(this.sweepHandle);
    this.sweepHandle = null;
  }

  /**
   * The runtime reports a session that died (its host crashed or was killed). The slot's
   * memory is freed and it is marked failed with the reason; the next load starts afresh.
   */
  async sessionLost(slot: SlotId, error: unknown): Promise<void> {
    await this.lifecycle.sessionLost(this.record(slot), error);
  }

  /** Unload everything and refuse further work. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.stopIdleSweeper();
    this.releases.clear();
    for (const r of this.records.values()) r.abort?.abort();
    await Promise.allSettled([...this.records.values()].map((r) => r.queue.run(async () => {
      if (r.runtime === 'loaded') await this.lifecycle.release(r, null);
    })));
    this.releases.clear();
  }


  private startLoad(r: SlotRecord<S>): Promise<S> {
    const p = r.queue.run(() => this.lifecycle.loadNow(r));
    r.inflight = p;
    const clear = (): void => {
      if (r.inflight === p) r.inflight = null;
    };
    p.then(clear, clear);
    return p;
  }

  private busySlots(): Set<SlotId> {
    const out = new Set<SlotId>();
    for (const r of this.records.values()) if (r.queue.pending > 0 || r.runtime !== 'loaded' || r.leases > 0) out.add(r.id);
    return out;
  }

  private record(slot: SlotId): SlotRecord<S> {
    return this.records.get(assertSlotId(slot)) as SlotRecord<S>;
  }

  private view(r: SlotRecord<S>): SlotSnapshot {
    return recordView(r, { pinned: this.slots.isPinned(r.id), lastUsedAt: this.slots.lastUsedAt(r.id) });
  }

  private changed(r: SlotRecord<S>): void {
    this.events.emit({ type: 'slot', slot: this.view(r) });
    this.events.derived();
  }

  private assertOpen(): void {
    if (this.closed) throw new ModelbayError('EMB-E009', 'Modelbay is shutting down: no new loads.', {});
  }

  private checkLoadLimit(limit: number): number {
    if (!Number.isInteger(limit) || limit < 1 || limit > 13) {
      throw new ModelbayError('EMB-E002', `The parallel load limit must be a whole number from 1 to 13; got ${String(limit)}.`, { limit: String(limit) });
    }
    return limit;
  }
}
