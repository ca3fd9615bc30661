/**
 * The slot manager: budgets per device, reservations, LRU order, pins and pressure.
 * Pure and synchronous: no I/O, no timers, no events. The registry is its one caller and
 * decides what to do with the plans it returns; every method that fails changes nothing.
 *
 * Memory groups: devices that draw from one memory (the compute instances of one MIG GPU
 * instance) share one budget, counted once: a reservation on one of them leaves less room
 * on all, and eviction for one may pick a slot on another.
 *
 * Releasing: a GPU session's memory comes back when CUDA frees it, sometimes seconds after
 * the unload. A release made with `hold` stays counted ("releasing") until the device's
 * reported free memory has risen by about that amount, or until the caller forgets it.
 */
import { formatBytes, GiB } from '../../../shared/values/bytes.js';
import { ModelbayError } from '../../../shared/errors/errors.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import {
  DEFAULT_THRESHOLDS,
  isDeviceId,
  type DeviceBudgetSnapshot,
  type DeviceId,
  type PressureLevel,
  type PressureThresholds,
} from '../../../shared/slots/state.js';
import { budgetError } from './budget-error.js';
import { seenReleased, type Releasing } from './releasing.js';
import { pressureLevel, validateThresholds } from './pressure.js';
import { assertBytes, assertSlotId } from './validate.js';

export const DEFAULT_BUDGET_BYTES = 8 * GiB;

export interface SlotManagerOptions {
  /** Devices and their budgets; default one `cpu` device with 8 GiB. */
  devices?: ReadonlyArray<{ device: DeviceId; budgetBytes: number }>;
  thresholds?: PressureThresholds;
  /** Wall clock for "last used" figures (LRU order itself uses a counter, so ties cannot happen). */
  now?: () => number;
}

interface Allocation {
  slot: SlotId;
  device: DeviceId;
  bytes: number;
  measured: boolean;
}

interface DeviceState {
  device: DeviceId;
  /** The memory group; the device's own id unless it shares memory with other devices. */
  group: string;
  budgetBytes: number;
  allocatedBytes: number;
  deviceFreeBytes: number | null;
}


export interface Pressure {
  device: DeviceId;
  ratio: number;
  level: PressureLevel;
  allocatedBytes: number;
  budgetBytes: number;
}

export interface RoomPlan {
  device: DeviceId;
  requested: number;
  /** Slots to evict, least recently used first; empty when the reservation fits as is. */
  victims: SlotId[];
  freedBytes: number;
}

export class SlotManager {
  private readonly devices = new Map<DeviceId, DeviceState>();
  private readonly allocations = new Map<SlotId, Allocation>();
  private readonly pinned = new Set<SlotId>();
  private readonly touchOrder = new Map<SlotId, number>();
  private readonly lastUsed = new Map<SlotId, number>();
  private readonly releasing = new Map<number, Releasing>();
  private settled: Releasing[] = [];
  private releaseCounter = 0;
  private thresholds: PressureThresholds;
  private touchCounter = 0;
  private readonly now: () => number;

  constructor(options: SlotManagerOptions = {}) {
    this.thresholds = validateThresholds(options.thresholds ?? DEFAULT_THRESHOLDS);
    this.now = options.now ?? Date.now;
    const devices = options.devices ?? [{ device: 'cpu', budgetBytes: DEFAULT_BUDGET_BYTES }];
    for (const d of devices) this.addDevice(d.device, d.budgetBytes);
  }

  // ── devices and budgets ────────────────────────────────────────────────────────

  /** `group`: the memory group (see above); devices joining a group take on its budget as the latest one set. */
  addDevice(device: DeviceId, budgetBytes: number = DEFAULT_BUDGET_BYTES, options: { group?: string } = {}): void {
    if (!isDeviceId(device)) throw new ModelbayError('EMB-E008', `Unknown device ${JSON.stringify(device)}: use "cpu" or "cuda:N".`, { device: String(device) });
    const bytes = assertBytes(budgetBytes, `The budget of ${device}`, { allowZero: false });
    const existing = this.devices.get(device);
    if (existing) {
      if (options.group !== undefined) existing.group = options.group;
      this.setBudget(device, bytes);
      return;
    }
    this.devices.set(device, { device, group: options.group ?? device, budgetBytes: bytes, allocatedBytes: 0, deviceFreeBytes: null });
    this.setBudget(device, bytes);
  }

  /** The devices sharing `device`'s memory (itself included). */
  memoryGroup(device: DeviceId): DeviceId[] {
    return this.members(this.device(device)).map((m) => m.device);
  }

  hasDevice(device: DeviceId): boolean {
    return this.devices.has(device);
  }

  listDevices(): DeviceId[] {
    return [...this.devices.keys()];
  }

  /** A smaller budget than what is allocated is allowed: the caller then relieves pressure. The whole memory group gets it. */
  setBudget(device: DeviceId, budgetBytes: number): void {
    const d = this.device(device);
    const bytes = assertBytes(budgetBytes, `The budget of ${device}`, { allowZero: false });
    for (const m of this.members(d)) m.budgetBytes = bytes;
  }

  setThresholds(thresholds: PressureThresholds): void {
    this.thresholds = validateThresholds(thresholds);
  }

  getThresholds(): PressureThresholds {
    return { ...this.thresholds };
  }

  /** Free memory the device reports (nvidia-smi); a reservation must fit it too. null = unknown. */
  setDeviceFree(device: DeviceId, freeBytes: number | null): void {
    const d = this.device(device);
    d.deviceFreeBytes = freeBytes === null ? null : assertBytes(freeBytes, `Free memory of ${device}`);
    if (d.deviceFreeBytes !== null) this.settled.push(...seenReleased(this.releasing, d.group, d.deviceFreeBytes));
  }

  /** Releases seen back since the last call (for the caller's log and waiters). */
  takeSettled(): Releasing[] {
    const out = this.settled;
    this.settled = [];
    return out;
  }

  /** Stop waiting for a release (its bounded wait ran out): its bytes count as free again. Returns it, or null when already settled. */
  forgetRelease(id: number): Releasing | null {
    const r = this.releasing.get(id) ?? null;
    this.releasing.delete(id);
    return r;
  }

  /** Releases still awaited on `device`'s memory group, oldest first. */
  releasingOn(device: DeviceId): Releasing[] {
    const d = this.device(device);
    return [...this.releasing.values()].filter((r) => r.group === d.group);
  }

  // ── reservations ───────────────────────────────────────────────────────────────

  /** Reserve an estimate for a slot about to load. Throws EMB-E003 when it does not fit. */
  reserve(slot: SlotId, device: DeviceId, bytes: number): void {
    assertSlotId(slot);
    const d = this.device(device);
    assertBytes(bytes, `The reservation for ${slot}`);
    const existing = this.allocations.get(slot);
    if (existing) {
      throw new ModelbayError('EMB-E007', `${slot} already holds ${formatBytes(existing.bytes)} on ${existing.device}; release it before reserving again.`, { slot, device: existing.device });
    }
    const available = this.availableOn(d);
    if (bytes > available) throw this.budgetError(slot, d, bytes, available);
    this.allocations.set(slot, { slot, device, bytes, measured: false });
    d.allocatedBytes += bytes;
    this.touch(slot);
  }

  /**
   * Replace a slot's estimate by its measured size. The measurement is what the device
   * really holds, so it is charged even when it overshoots; the caller relieves pressure.
   * Returns the change in allocated bytes.
   */
  commit(slot: SlotId, measuredBytes: number): number {
    const a = this.allocation(slot);
    assertBytes(measuredBytes, `The measured size of ${slot}`);
    const d = this.device(a.device);
    const delta = measuredBytes - a.bytes;
    d.allocatedBytes += delta;
    a.bytes = measuredBytes;
    a.measured = true;
    return delta;
  }

  /**
   * Free a slot's allocation; returns the bytes freed. Throws EMB-E005 when it holds none.
   * With `hold`, the bytes stay counted as "releasing" until the device's free memory shows
   * them back (see setDeviceFree) or forgetRelease; `releasing` is then its entry.
   */
  release(slot: SlotId, options: { hold?: boolean } = {}): number {
    return this.releaseHeld(slot, options).bytes;
  }

  /** As release, also returning the releasing entry (null without `hold`, or for 0 bytes). */
  releaseHeld(slot: SlotId, options: { hold?: boolean } = {}): { bytes: number; releasing: Releasing | null } {
    const a = this.allocation(slot);
    const d = this.device(a.device);
    d.allocatedBytes -= a.bytes;
    this.allocations.delete(slot);
    if (options.hold && a.bytes > 0) {
      const r: Releasing = { id: ++this.releaseCounter, slot, device: a.device, group: d.group, bytes: a.bytes, freeAtRelease: d.deviceFreeBytes };
      this.releasing.set(r.id, r);
      return { bytes: a.bytes, releasing: r };
    }
    if (d.deviceFreeBytes !== null) for (const m of this.members(d)) if (m.deviceFreeBytes !== null) m.deviceFreeBytes += a.bytes;
    return { bytes: a.bytes, releasing: null };
  }

  isAllocated(slot: SlotId): boolean {
    return this.allocations.has(slot);
  }

  allocatedBytesOf(slot: SlotId): number {
    return this.allocations.get(slot)?.bytes ?? 0;
  }

  deviceOf(slot: SlotId): DeviceId | null {
    return this.allocations.get(slot)?.device ?? null;
  }

  loadedCount(): number {
    return this.allocations.size;
  }

  // ── LRU and pins ───────────────────────────────────────────────────────────────

  touch(slot: SlotId): void {
    assertSlotId(slot);
    this.touchOrder.set(slot, ++this.touchCounter);
    this.lastUsed.set(slot, this.now());
  }

  lastUsedAt(slot: SlotId): number | null {
    return this.lastUsed.get(slot) ?? null;
  }

  pin(slot: SlotId): void {
    this.pinned.add(assertSlotId(slot));
  }

  unpin(slot: SlotId): void {
    this.pinned.delete(assertSlotId(slot));
  }

  isPinned(slot: SlotId): boolean {
    return this.pinned.has(slot);
  }

  // ── pressure and plans ─────────────────────────────────────────────────────────

  pressure(device: DeviceId): Pressure {
    const d = this.device(device);
    const allocated = this.groupAllocated(d);
    const ratio = allocated / d.budgetBytes;
    return { device, ratio, level: pressureLevel(ratio, this.thresholds), allocatedBytes: allocated, budgetBytes: d.budgetBytes };
  }

  available(device: DeviceId): number {
    return this.availableOn(this.device(device));
  }

  /**
   * Which least-recently-used unpinned slots must go for `bytes` to fit on `device`.
   * Decided before anything is evicted: a reservation that cannot fit even after every
   * candidate went throws EMB-E003 and names nothing. `exclude` protects slots that are
   * mid-operation (loading, unloading) from being chosen.
   */
  planRoom(device: DeviceId, bytes: number, options: { slot?: SlotId; exclude?: ReadonlySet<SlotId>; assumeReleased?: boolean } = {}): RoomPlan {
    const d = this.device(device);
    assertBytes(bytes, 'The requested size');
    // assumeReleased: plan as if every release still awaited were back (the caller then waits for them).
    const back = options.assumeReleased ? this.groupReleasing(d) : 0;
    let available = this.availableOn(d, back);
    const victims: SlotId[] = [];
    let freed = 0;
    if (bytes <= available) return { device, requested: bytes, victims, freedBytes: 0 };
    for (const a of this.evictionCandidates(device, options.exclude)) {
      victims.push(a.slot);
      freed += a.bytes;
      available = this.availableOn(d, back + freed);
      if (bytes <= available) return { device, requested: bytes, victims, freedBytes: freed };
    }
    throw this.budgetError(options.slot ?? null, d, bytes, this.availableOn(d, back));
  }

  /** The LRU unpinned slots whose eviction brings `device` below Critical; empty if it is not Critical. */
  planRelief(device: DeviceId, exclude?: ReadonlySet<SlotId>): SlotId[] {
    const d = this.device(device);
    const limit = this.thresholds.high * d.budgetBytes;
    let allocated = this.groupAllocated(d);
    const victims: SlotId[] = [];
    if (allocated < limit) return victims;
    for (const a of this.evictionCandidates(device, exclude)) {
      victims.push(a.slot);
      allocated -= a.bytes;
      if (allocated < limit) break;
    }
    return victims;
  }

  /** Unpinned allocations on a device's memory group, least recently used first. */
  evictionCandidates(device: DeviceId, exclude?: ReadonlySet<SlotId>): Allocation[] {
    const group = this.device(device).group;
    const out: Allocation[] = [];
    for (const a of this.allocations.values()) {
      if (this.devices.get(a.device)?.group !== group || this.pinned.has(a.slot) || exclude?.has(a.slot)) continue;
      out.push(a);
    }
    out.sort((x, y) => (this.touchOrder.get(x.slot) ?? 0) - (this.touchOrder.get(y.slot) ?? 0));
    return out;
  }

  snapshot(device: DeviceId): DeviceBudgetSnapshot {
    const d = this.device(device);
    const p = this.pressure(device);
    const allocations = [...this.allocations.values()]
      .filter((a) => a.device === device)
      .map((a) => ({ slot: a.slot, bytes: a.bytes, measured: a.measured, pinned: this.pinned.has(a.slot), lastTouched: this.touchOrder.get(a.slot) ?? 0 }));
    const releasing = this.releasingOn(device);
    return {
      device,
      budgetBytes: d.budgetBytes,
      allocatedBytes: p.allocatedBytes,
      availableBytes: this.availableOn(d),
      deviceFreeBytes: d.deviceFreeBytes,
      sharedWith: this.members(d).map((m) => m.device).filter((m) => m !== device),
      releasingBytes: releasing.reduce((sum, r) => sum + r.bytes, 0),
      releasing: releasing.map((r) => r.slot),
      ratio: p.ratio,
      level: p.level,
      thresholds: this.getThresholds(),
      allocations,
    };
  }

  snapshots(): DeviceBudgetSnapshot[] {
    return this.listDevices().map((d) => this.snapshot(d));
  }

  // ── internals ──────────────────────────────────────────────────────────────────

  private device(device: DeviceId): DeviceState {
    const d = this.devices.get(device);
    if (!d) throw new ModelbayError('EMB-E008', `Unknown device ${JSON.stringify(device)}; known: ${this.listDevices().join(', ') || 'none'}.`, { device: String(device), known: this.listDevices() });
    return d;
  }

  private allocation(slot: SlotId): Allocation {
    assertSlotId(slot);
    const a = this.allocations.get(slot);
    if (!a) throw new ModelbayError('EMB-E005', `${slot} holds no memory: it is not loaded.`, { slot });
    return a;
  }

  private members(d: DeviceState): DeviceState[] {
    if (d.group === d.device) return [d];
    return [...this.devices.values()].filter((m) => m.group === d.group);
  }

  /** Reserved on the memory group (what pressure counts). */
  private groupAllocated(d: DeviceState): number {
    return this.members(d).reduce((sum, m) => sum + m.allocatedBytes, 0);
  }

  private groupReleasing(d: DeviceState): number {
    let sum = 0;
    for (const r of this.releasing.values()) if (r.group === d.group) sum += r.bytes;
    return sum;
  }

  /** Room left: the budget less what is reserved and still being released on the group, never more than the device reports free. */
  private availableOn(d: DeviceState, extraFreed = 0): number {
    const byBudget = d.budgetBytes - this.groupAllocated(d) - this.groupReleasing(d) + extraFreed;
    const byDevice = d.deviceFreeBytes === null ? Infinity : d.deviceFreeBytes + extraFreed;
    return Math.max(0, Math.min(byBudget, byDevice));
  }

  private budgetError(slot: SlotId | null, d: DeviceState, requested: number, available: number): ModelbayError {
    const pinned = [...this.allocations.values()].filter((a) => this.devices.get(a.device)?.group === d.group && this.pinned.has(a.slot));
    return budgetError({
      slot, device: d.device, requested, available, budgetBytes: d.budgetBytes, allocatedBytes: this.groupAllocated(d), deviceFreeBytes: d.deviceFreeBytes,
      sharedWith: this.members(d).filter((m) => m !== d).map((m) => m.device), pinned, loaded: this.allocations.size,
    });
  }
}
