/**
 * The slot manager: budgets per device, reservations, LRU order, pins and pressure.
 * Pure and synchronous: no I/O, no timers, no events. The registry is its one caller and
 * decides what to do with the plans it returns; every method that fails changes nothing.
 */
import { formatBytes, formatPercent, GiB } from '../../../shared/values/bytes.js';
import { ModelbayError } from '../../../shared/errors/errors.js';
import { SLOT_COUNT, type SlotId } from '../../../shared/slots/slots.js';
import {
  DEFAULT_THRESHOLDS,
  isDeviceId,
  type DeviceBudgetSnapshot,
  type DeviceId,
  type PressureLevel,
  type PressureThresholds,
} from '../../../shared/slots/state.js';
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

  addDevice(device: DeviceId, budgetBytes: number = DEFAULT_BUDGET_BYTES): void {
    if (!isDeviceId(device)) throw new ModelbayError('EMB-E008', `Unknown device ${JSON.stringify(device)}: use "cpu" or "cuda:N".`, { device: String(device) });
    const bytes = assertBytes(budgetBytes, `The budget of ${device}`, { allowZero: false });
    if (this.devices.has(device)) {
      this.setBudget(device, bytes);
      return;
    }
    this.devices.set(device, { device, budgetBytes: bytes, allocatedBytes: 0, deviceFreeBytes: null });
  }

  hasDevice(device: DeviceId): boolean {
    return this.devices.has(device);
  }

  listDevices(): DeviceId[] {
    return [...this.devices.keys()];
  }

  /** A smaller budget than what is allocated is allowed: the caller then relieves pressure. */
  setBudget(device: DeviceId, budgetBytes: number): void {
    const d = this.device(device);
    d.budgetBytes = assertBytes(budgetBytes, `The budget of ${device}`, { allowZero: false });
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

  /** Free a slot's allocation; returns the bytes freed. Throws EMB-E005 when it holds none. */
  release(slot: SlotId): number {
    const a = this.allocation(slot);
    const d = this.device(a.device);
    d.allocatedBytes -= a.bytes;
    if (d.deviceFreeBytes !== null) d.deviceFreeBytes += a.bytes;
    this.allocations.delete(slot);
    return a.bytes;
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
    const ratio = d.allocatedBytes / d.budgetBytes;
    return { device, ratio, level: pressureLevel(ratio, this.thresholds), allocatedBytes: d.allocatedBytes, budgetBytes: d.budgetBytes };
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
  planRoom(device: DeviceId, bytes: number, options: { slot?: SlotId; exclude?: ReadonlySet<SlotId> } = {}): RoomPlan {
    const d = this.device(device);
    assertBytes(bytes, 'The requested size');
    let available = this.availableOn(d);
    const victims: SlotId[] = [];
    let freed = 0;
    if (bytes <= available) return { device, requested: bytes, victims, freedBytes: 0 };
    for (const a of this.evictionCandidates(device, options.exclude)) {
      victims.push(a.slot);
      freed += a.bytes;
      available = this.availableOn(d, freed);
      if (bytes <= available) return { device, requested: bytes, victims, freedBytes: freed };
    }
    throw this.budgetError(options.slot ?? null, d, bytes, this.availableOn(d));
  }

  /** The LRU unpinned slots whose eviction brings `device` below Critical; empty if it is not Critical. */
  planRelief(device: DeviceId, exclude?: ReadonlySet<SlotId>): SlotId[] {
    const d = this.device(device);
    const limit = this.thresholds.high * d.budgetBytes;
    let allocated = d.allocatedBytes;
    const victims: SlotId[] = [];
    if (allocated < limit) return victims;
    for (const a of this.evictionCandidates(device, exclude)) {
      victims.push(a.slot);
      allocated -= a.bytes;
      if (allocated < limit) break;
    }
    return victims;
  }

  /** Unpinned allocations on a device, least recently used first. */
  evictionCandidates(device: DeviceId, exclude?: ReadonlySet<SlotId>): Allocation[] {
    const out: Allocation[] = [];
    for (const a of this.allocations.values()) {
      if (a.device !== device || this.pinned.has(a.slot) || exclude?.has(a.slot)) continue;
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
    return {
      device,
      budgetBytes: d.budgetBytes,
      allocatedBytes: d.allocatedBytes,
      availableBytes: this.availableOn(d),
      deviceFreeBytes: d.deviceFreeBytes,
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

  private availableOn(d: DeviceState, extraFreed = 0): number {
    const byBudget = d.budgetBytes - d.allocatedBytes + extraFreed;
    const byDevice = d.deviceFreeBytes === null ? Infinity : d.deviceFreeBytes + extraFreed;
    return Math.max(0, Math.min(byBudget, byDevice));
  }

  private budgetError(slot: SlotId | null, d: DeviceState, requested: number, available: number): ModelbayError {
    const pinned = [...this.allocations.values()].filter((a) => a.device === d.device && this.pinned.has(a.slot));
    const pinnedBytes = pinned.reduce((s, a) => s + a.bytes, 0);
    const loaded = this.allocations.size;
    const deviceLimited = d.deviceFreeBytes !== null && d.deviceFreeBytes < d.budgetBytes - d.allocatedBytes;
    let suggestion: string;
    if (requested > d.budgetBytes) {
      suggestion = `The model alone is larger than the ${formatBytes(d.budgetBytes)} budget of ${d.device}: raise the budget to at least ${formatBytes(requested)} or move the slot to another device.`;
    } else if (deviceLimited) {
      suggestion = `Other processes use the memory of ${d.device} (${formatBytes(d.deviceFreeBytes ?? 0)} free): close them, or move the slot to another device.`;
    } else if (pinned.length > 0) {
      suggestion = `Unpin ${pinned.map((a) => a.slot).join(', ')} (pinned, ${formatBytes(pinnedBytes)}) so they can be evicted, raise the budget, or move the slot to another device.`;
    } else {
      suggestion = `Evict a loaded slot, raise the budget, or move the slot to another device.`;
    }
    const who = slot ? `${slot} needs` : 'The request needs';
    const message =
      `${who} ${formatBytes(requested)} on ${d.device} but only ${formatBytes(available)} is available ` +
      `(budget ${formatBytes(d.budgetBytes)}, allocated ${formatBytes(d.allocatedBytes)} = ${formatPercent(d.allocatedBytes / d.budgetBytes)}, ` +
      `loaded ${loaded}/${SLOT_COUNT}). ${suggestion}`;
    return new ModelbayError('EMB-E003', message, {
      slot,
      device: d.device,
      requested,
      available,
      budget: d.budgetBytes,
      allocated: d.allocatedBytes,
      deviceFree: d.deviceFreeBytes,
      loaded,
      total: SLOT_COUNT,
      pinned: pinned.map((a) => a.slot),
      suggestion,
    });
  }
}
