/**
 * What the registry keeps per slot, and how a record reads from outside (its snapshot).
 * Only the registry mutates records; these helpers are pure.
 */
import { ModelbayError, type SerializedError } from '../../../shared/errors/errors.js';
import { SLOT_NAMES, type SlotId } from '../../../shared/slots/slots.js';
import { slotStateWords } from '../../../shared/slots/state-words.js';
import { isDeviceId, type ArtifactState, type DeviceId, type Health, type SlotSnapshot, type SlotState } from '../../../shared/slots/state.js';
import type { SlotManager } from '../slots/slot-manager.js';
import { assertBytes } from '../slots/validate.js';
import type { SlotConfig } from './types.js';
import { SerialQueue } from '../async/queues.js';

export type RuntimeState = 'idle' | 'loading' | 'loaded' | 'unloading';

export interface SlotRecord<S> {
  id: SlotId;
  /** Where the slot runs now. */
  device: DeviceId;
  /** Where the user wants it; it moves there once that device exists and the slot is idle. */
  wantedDevice: DeviceId | null;
  estimateBytes: number;
  measuredBytes: number | null;
  preload: boolean;
  idleTtlMs: number | null;
  artifact: ArtifactState;
  artifactError: SerializedError | null;
  runtime: RuntimeState;
  loadError: SerializedError | null;
  session: S | null;
  inflight: Promise<S> | null;
  queue: SerialQueue;
  lastOutcome: 'none' | 'ok' | 'failed';
  useCount: number;
  loadCount: number;
  failures: number;
  loadedAt: number | null;
  lastLoadMs: number | null;
  abort: AbortController | null;
  /** Work in flight on the session (embeds): a release waits for it. */
  leases: number;
  leaseWaiters: Array<() => void>;
  /** A release has begun: no new lease may start on this session. */
  draining: boolean;
  /** What a load waits for, e.g. "waiting for E3's memory to be released on cuda:0"; null when not waiting. */
  waiting: string | null;
}

export function newRecord<S>(id: SlotId, init: {
  device: DeviceId;
  wantedDevice: DeviceId | null;
  estimateBytes: number;
  preload: boolean;
  idleTtlMs: number | null;
  artifact: ArtifactState;
}): SlotRecord<S> {
  return {
    id,
    ...init,
    measuredBytes: null,
    artifactError: null,
    runtime: 'idle',
    loadError: null,
    waiting: null,
    session: null,
    inflight: null,
    queue: new SerialQueue(),
    lastOutcome: 'none',
    useCount: 0,
    loadCount: 0,
    failures: 0,
    loadedAt: null,
    lastLoadMs: null,
    abort: null,
    leases: 0,
    leaseWaiters: [],
    draining: false,
  };
}

export function stateOf(r: SlotRecord<unknown>): SlotState {
  if (r.runtime !== 'idle') return r.runtime;
  if (r.loadError) return 'failed';
  return r.artifact;
}

export function healthOf(r: SlotRecord<unknown>): Health {
  if (r.runtime === 'loading') return 'loading';
  if (r.loadError || r.artifact === 'failed') return 'unhealthy';
  if (r.lastOutcome === 'ok') return r.failures > 0 ? 'degraded' : 'healthy';
  return 'unknown';
}

export function recordView(r: SlotRecord<unknown>, memory: { pinned: boolean; lastUsedAt: number | null }): SlotSnapshot {
  return {
    id: r.id,
    name: SLOT_NAMES[r.id],
    state: stateOf(r),
    error: r.loadError ?? r.artifactError,
    health: healthOf(r),
    pinned: memory.pinned,
    preload: r.preload,
    device: r.device,
    estimateBytes: r.estimateBytes,
    measuredBytes: r.measuredBytes,
    lastUsedAt: memory.lastUsedAt,
    useCount: r.useCount,
    loadCount: r.loadCount,
    failures: r.failures,
    idleTtlMs: r.idleTtlMs,
    loadedAt: r.runtime === 'loaded' ? r.loadedAt : null,
    lastLoadMs: r.lastLoadMs,
    waiting: r.waiting,
  };
}

/** A record as configured at start; a device not seen yet (a GPU before the first sample) is wanted, and the slot starts on the CPU. */
export function recordFromConfig<S>(id: SlotId, c: SlotConfig | undefined, ctx: { slots: SlotManager; estimate: ((slot: SlotId, device: DeviceId) => number) | null }): SlotRecord<S> {
  const configured = c?.device ?? 'cpu';
  if (!isDeviceId(configured)) throw new ModelbayError('EMB-E008', `${id} is configured for unknown device ${String(configured)}.`, { slot: id, device: String(configured) });
  const device = ctx.slots.hasDevice(configured) ? configured : 'cpu';
  if (c?.pinned) ctx.slots.pin(id);
  return newRecord<S>(id, {
    device,
    wantedDevice: c?.device ?? null,
    estimateBytes: assertBytes(c?.estimateBytes ?? ctx.estimate?.(id, device) ?? 0, `The estimate of ${id}`),
    preload: c?.preload ?? false,
    idleTtlMs: c?.idleTtlMs == null ? null : assertBytes(c.idleTtlMs, `The idle time-out of ${id} (ms)`, { allowZero: false }),
    artifact: c?.artifactState ?? 'ready',
  });
}

/** Unload and evict need a loaded slot; a load still queued (inflight, runtime not yet `loading`) counts: the unload waits for it. */
export function assertLoaded<S>(r: SlotRecord<S>): void {
  if (r.runtime !== 'loaded' && r.runtime !== 'loading' && !r.inflight) notLoaded(r);
}

/** Inside the slot's queue, after whatever was queued before: only a loaded session can be released. */
export function assertLoadedNow<S>(r: SlotRecord<S>): void {
  if (r.runtime !== 'loaded') notLoaded(r);
}

function notLoaded<S>(r: SlotRecord<S>): never {
  throw new ModelbayError('EMB-E005', `${r.id} is not loaded: it ${slotStateWords(stateOf(r))}.`, { slot: r.id, state: stateOf(r) });
}
