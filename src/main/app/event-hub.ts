/**
 * The App's one outlet: subscribers, the activity log and the VRAM history. Everything
 * the dashboard sees leaves through here; a listener's failure stays its own.
 */
import type { ActivityEntry } from '../../shared/contract/activity.js';
import { ACTIVITY_LIMIT, HISTORY_SECONDS, type AppEvent, type HistoryPoint } from '../../shared/contract/api.js';
import { toModelbayError } from '../../shared/errors/errors.js';
import type { GpuSample } from '../../shared/devices/gpu.js';
import type { DeviceBudgetSnapshot, DeviceId } from '../../shared/slots/state.js';
import { deviceMemory, findDevice } from '../core/gpu/index.js';
import { RingBuffer } from '../core/state/ring-buffer.js';
import type { AppListener } from './types.js';

export class EventHub {
  private readonly listeners = new Set<AppListener>();
  private readonly activityLog = new RingBuffer<ActivityEntry>(ACTIVITY_LIMIT);
  private readonly historyRings = new Map<DeviceId, RingBuffer<HistoryPoint>>();
  private lastRuntime = '';

  constructor(
    private readonly now: () => number,
    private readonly log: (message: string) => void,
  ) {}

  subscribe(listener: AppListener, first: AppEvent): () => void {
    this.deliver(listener, first);
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: AppEvent): void {
    for (const l of this.listeners) this.deliver(l, event);
  }

  /** Send an event only when its JSON differs from the last one sent (runtime info follows many changes). */
  emitRuntime(event: Extract<AppEvent, { type: 'runtime' }>): void {
    const json = JSON.stringify(event.runtime);
    if (json === this.lastRuntime) return;
    this.lastRuntime = json;
    this.emit(event);
  }

  activity(entry: ActivityEntry | Omit<ActivityEntry, 'at'>): void {
    const full: ActivityEntry = 'at' in entry ? entry : { at: this.now(), ...entry };
    this.activityLog.push(full);
    this.emit({ type: 'activity', entry: full });
  }

  warn(message: string): void {
    this.log(message);
    this.activity({ kind: 'error', slot: null, message });
  }

  report(error: unknown, what: string): void {
    const err = toModelbayError(error);
    this.log(`${what}: ${err.message}`);
    this.activity({ kind: 'error', slot: null, code: err.code, message: `${what}: ${err.message}` });
  }

  /** A fault while handling one event is logged; it must not reach the component that emitted it. */
  guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report(e, `${what} could not be applied`);
    }
  }

  entries(): ActivityEntry[] {
    return this.activityLog.toArray();
  }

  /** One point per device: budgets and allocations, with the GPU's own memory figures where known. */
  recordHistory(devices: DeviceBudgetSnapshot[], sample: GpuSample | null): void {
    const at = this.now();
    const points: HistoryPoint[] = devices.map((d) => {
      const figures = deviceMemory(sample, d.device);
      // Utilisation and temperature are the whole GPU's (MIG instances share them).
      const gpu = sample?.available ? findDevice(sample, d.device)?.gpu : undefined;
      return {
        at,
        device: d.device,
        budgetBytes: d.budgetBytes,
        allocatedBytes: d.allocatedBytes,
        deviceUsedBytes: figures.usedBytes,
        deviceTotalBytes: figures.totalBytes,
        slots: Object.fromEntries(d.allocations.map((a) => [a.slot, a.bytes])),
        utilizationPct: gpu?.utilizationPct ?? null,
        temperatureC: gpu?.temperatureC ?? null,
      };
    });
    for (const p of points) {
      let ring = this.historyRings.get(p.device);
      if (!ring) this.historyRings.set(p.device, (ring = new RingBuffer<HistoryPoint>(HISTORY_SECONDS)));
      ring.push(p);
    }
    this.emit({ type: 'history', points });
  }

  history(): HistoryPoint[] {
    return [...this.historyRings.values()].flatMap((r) => r.toArray()).sort((a, b) => a.at - b.at);
  }

  close(): void {
    this.listeners.clear();
  }

  private deliver(listener: AppListener, event: AppEvent): void {
    try {
      listener(event);
    } catch (e) {
      // A listener's failure (a closed window, a broken socket) is its own.
      this.log(`An event listener failed: ${toModelbayError(e).message}`);
    }
  }
}
