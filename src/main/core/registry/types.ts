import type { SlotId } from '../../../shared/slots/slots.js';
import type { ArtifactState, DeviceId } from '../../../shared/slots/state.js';
import type { Timers } from '../async/timers.js';
import type { SlotManager } from '../slots/slot-manager.js';

/** A loaded model as the registry holds it. The runtime's sessions implement this. */
export interface ModelSession {
  /** What the session really holds once loaded and warmed up; null or absent keeps the estimate. */
  readonly measuredBytes?: number | null;
  release(): Promise<void>;
}

export interface LoadRequest {
  slot: SlotId;
  device: DeviceId;
  estimateBytes: number;
  signal: AbortSignal;
}

/** Creates sessions. The runtime implements it with onnxruntime in host processes. */
export interface SessionFactory<S extends ModelSession = ModelSession> {
  create(request: LoadRequest): Promise<S>;
}

export interface SlotConfig {
  id: SlotId;
  device?: DeviceId;
  /** Default: the registry's estimator, else 0. */
  estimateBytes?: number;
  pinned?: boolean;
  preload?: boolean;
  /** Unload after this long without use; null = never. */
  idleTtlMs?: number | null;
  /** Where the slot's files stand at start-up; the artifact manager updates it later. */
  artifactState?: ArtifactState;
}

export interface Clock {
  now(): number;
}

export type { Timers } from '../async/timers.js';

export interface RegistryHooks {
  /**
   * Called before a slot loads: makes sure its files are in place (downloading them when
   * auto-download is on) or throws EMB-E101. Without a hook a slot whose artifact state
   * is not `ready` fails with EMB-E101.
   */
  prepare?(slot: SlotId, signal: AbortSignal): Promise<void>;
}

/** What the registry is built from (ModelRegistry's constructor). */
export interface RegistryOptions<S extends ModelSession> {
  factory: SessionFactory<S>;
  slots: SlotManager;
  /** Configuration per slot; slots left out start with a 0-byte estimate on `cpu`. */
  configs?: ReadonlyArray<SlotConfig>;
  maxParallelLoads?: number;
  clock?: Clock;
  timers?: Timers;
  hooks?: RegistryHooks;
  /** The one estimator: bytes a slot will need on a device (weights, activations, context). */
  estimate?: (slot: SlotId, device: DeviceId) => number;
  /** How long an unload or eviction waits for work in flight on the session; default 30 s. */
  leaseWaitMs?: number;
  /** How long a GPU release waits to be seen by the monitor before it counts as free (release-watch.ts; the App passes the setting, DEFAULT_RELEASE_WAIT_MS); default 0 = counted free at once. Read at each release. */
  releaseWaitMs?: number | (() => number);
}
