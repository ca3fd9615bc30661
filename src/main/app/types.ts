/** The App's own types: the collaborators in src/main/app import these, never app.ts. */
import type { AppEvent, AppSnapshot, CommandReply, RuntimeInfo } from '../../shared/contract/api.js';
import type { ArtifactManager } from '../core/artifacts/manager/types.js';
import type { GpuMonitorOptions } from '../core/gpu/index.js';
import type { Timers } from '../core/registry/types.js';
import type { HostLauncher, HostLoadOptions, ServeCall, ServeResult } from '../core/runtime/index.js';
import type { SlotId } from '../../shared/slots/slots.js';
import type { SettingsStore } from '../core/state/settings-store.js';
import type { TokenStore } from '../core/state/token-store.js';
import type { LogAccess } from '../logging/log-access.js';

export type AppListener = (event: AppEvent) => void;

export interface App {
  /** Validate and run one command; never throws. */
  execute(name: string, rawInput: unknown): Promise<CommandReply>;
  /** The listener receives a snapshot at once, then deltas; returns the unsubscribe function. */
  subscribe(listener: AppListener): () => void;
  snapshot(): AppSnapshot;
  /** Startup: readiness → GPU monitor → preload. Resolves when preloading has settled. */
  start(): Promise<void>;
  shutdown(): Promise<void>;
  /** Serving (/v1, /embed_*, CLI): a request's body to the slot's host, its answer's body back; loads the slot on first use. */
  serve(slot: SlotId, call: ServeCall): Promise<ServeResult>;
}

export interface AppOptions {
  mode: RuntimeInfo['mode'];
  version?: string;
  settings: SettingsStore;
  tokens: TokenStore;
  artifacts: ArtifactManager;
  launcher: HostLauncher;
  /** The GPU monitor's options (tests point nvidiaSmi at the fake one, or null for none). */
  gpu?: GpuMonitorOptions;
  env?: NodeJS.ProcessEnv;
  /** RAM size for the CPU budget default; default os.totalmem(). */
  totalMemoryBytes?: number;
  /** Whether onnxruntime's CUDA provider library is installed. */
  cudaProvider?: boolean;
  hostLoadOptions?: HostLoadOptions;
  now?: () => number;
  timers?: Timers;
  /** Period of the VRAM history; default 1000 ms (one point per device per second). */
  historyIntervalMs?: number;
  /** How long start() waits for the first GPU sample; default 3000 ms. */
  gpuWaitMs?: number;
  /** Where warnings go besides the activity log (stderr in the entries). */
  log?: (message: string) => void;
  /** The log file: every failed command is recorded there with its code and details; readLog and openLogs read it. */
  logs?: LogAccess;
}
