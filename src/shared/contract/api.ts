/**
 * The App API: every command the UI (or a script) can send and every event it receives.
 * Written once here and carried mechanically over Electron IPC (preload), HTTP + SSE
 * (headless server) or an in-memory pair in tests. Inputs are validated with these
 * schemas at every boundary; results and events are plain data.
 */
import { z } from 'zod';
import type { ActivityEntry } from './activity.js';
import type { CatalogSlotView, ReadinessReport, SlotDownloadProgress } from '../artifacts/artifacts.js';
import type { DiskModel, DiskView } from '../artifacts/discovery.js';
import type { ProbeResult, SlotUsage } from '../slots/usage.js';
import type { UpdateResult, UpdatesView } from '../artifacts/updates.js';
import type { SerializedError } from '../errors/errors.js';
import type { GpuSample } from '../devices/gpu.js';
import type { LoadPreview } from '../slots/load-preview.js';
import { DeviceIdSchema, RepoIdSchema, SettingsPatchSchema, SlotIdSchema, SlotSourceSchema, type SettingsView } from '../settings/settings.js';
import type { SlotId } from '../slots/slots.js';
import type { DeviceBudgetSnapshot, RegistryStats, SlotSnapshot } from '../slots/state.js';
import { COMMIT_RE } from '../values/values.js';
import { LAYOUT_COMMAND_SCHEMAS, type ExportResult, type LayoutStatus, type LockResult, type LockVerifyReport, type RestorePreview, type RestoreResult } from '../layouts/layouts.js';

/** The largest command payload accepted over IPC or HTTP. */
export const MAX_COMMAND_BYTES = 256 * 1024;
/** embed: at most this many texts of at most this many characters. */
export const MAX_EMBED_TEXTS = 256;
export const MAX_EMBED_CHARS = 8192;
/** How much VRAM history the app keeps and sends (10 minutes at 1 point per second). */
export const HISTORY_SECONDS = 600;
/** How many activity entries the snapshot carries. */
export const ACTIVITY_LIMIT = 300;

const slot = z.object({ slot: SlotIdSchema }).strict();
const none = z.object({}).strict();

export const COMMAND_SCHEMAS = {
  getSnapshot: none,
  load: slot,
  unload: slot,
  evict: z.object({ slot: SlotIdSchema, force: z.boolean().default(false) }).strict(),
  pin: slot,
  unpin: slot,
  setPreload: z.object({ slot: SlotIdSchema, preload: z.boolean() }).strict(),
  setDevice: z.object({ slot: SlotIdSchema, device: DeviceIdSchema }).strict(),
  setIdleTtl: z.object({ slot: SlotIdSchema, ttlMs: z.number().int().positive().max(30 * 24 * 3600_000).nullable() }).strict(),
  setSlotSource: z.object({ slot: SlotIdSchema, source: SlotSourceSchema.nullable() }).strict(),
  download: slot,
  downloadAll: none,
  pauseDownload: slot,
  resumeDownload: slot,
  cancelDownload: slot,
  verify: slot,
  clearSlot: slot,
  clearCache: none,
  refreshReadiness: none,
  embed: z
    .object({ slot: SlotIdSchema, texts: z.array(z.string().max(MAX_EMBED_CHARS)).min(1).max(MAX_EMBED_TEXTS) })
    .strict(),
  updateSettings: SettingsPatchSchema,
  /** null clears the app's own token (env and file tokens still apply). */
  setToken: z.object({ token: z.string().trim().min(1).max(512).regex(/^[\x21-\x7e]+$/, 'a token is printable ASCII').nullable() }).strict(),
  /** What load would do now, changing nothing. */
  previewLoad: slot,
  /** The last lines of the log file (JSON lines, oldest first). */
  readLog: z.object({ lines: z.number().int().min(1).max(5000).default(500) }).strict(),
  /** Open the log folder in the desktop's file manager (desktop only). */
  openLogs: none,
  /** Scan the HF cache and the model folders; `wait` answers with the finished scan, else at once. */
  scanDisk: z.object({ wait: z.boolean().default(false) }).strict(),
  /** Put a model found on disk (its id from the scan) in a slot, without a download. */
  assignModel: z.object({ slot: SlotIdSchema, model: z.string().min(1).max(8192) }).strict(),
  /** Remove one revision of a cached repository (never a blob another snapshot uses). */
  /** A slot's public name (validated by the handler: EMB-E020 form, EMB-E021 taken); null removes it. */
  setAlias: z.object({ slot: SlotIdSchema, alias: z.string().max(256).nullable() }).strict(),
  /** Compare one slot (or all) with its branch on the Hub; the result is also in the snapshot's `updates`. */
  checkUpdates: z.object({ slot: SlotIdSchema.optional() }).strict(),
  /** One tiny embed on a loaded slot: its health now. */
  probe: slot,
  /** Download and verify the branch's new commit beside the old one, then switch the slot to it (reloading it if loaded). */
  applyUpdate: slot,
  /** Switch the slot back to the revision it used before (still on disk). */
  rollbackUpdate: slot,
  deleteRevision: z.object({ repo: RepoIdSchema, commit: z.string().regex(COMMIT_RE, 'a commit is 40 hex characters') }).strict(),
  /** Lockfiles and cluster exports (layouts/layouts.ts). */
  ...LAYOUT_COMMAND_SCHEMAS,
} as const;

export type CommandName = keyof typeof COMMAND_SCHEMAS;
export const COMMAND_NAMES = Object.keys(COMMAND_SCHEMAS) as CommandName[];
export type CommandInput<K extends CommandName> = z.input<(typeof COMMAND_SCHEMAS)[K]>;
export type CommandArgs<K extends CommandName> = z.output<(typeof COMMAND_SCHEMAS)[K]>;

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(COMMAND_SCHEMAS, value);
}

export interface VerifyReport {
  slot: SlotId;
  ok: boolean;
  files: Array<{ path: string; ok: boolean; expected: string | null; actual: string | null; reason: string | null }>;
}

export interface EmbedResult {
  slot: SlotId;
  dims: number;
  /** One vector per text (token-level models: tokens × dims, flattened). */
  vectors: number[][];
}

/** Per-slot outcome of a bulk action. */
export interface BulkResult {
  results: Array<{ slot: SlotId; ok: boolean; error?: SerializedError }>;
}

export interface AssignResult {
  slot: SlotId;
  model: DiskModel;
  catalog: CatalogSlotView;
  verify: VerifyReport;
}

export interface DeleteRevisionResult {
  repo: string;
  commit: string;
  removedBytes: number;
  /** Blobs kept because another snapshot still uses them. */
  keptShared: number;
  disk: DiskView;
}

export interface AliasResult {
  slot: SlotId;
  alias: string | null;
  /** What the slot is called now in the UI, the CLI and the serving API. */
  name: string;
}

export interface CommandResults {
  getSnapshot: AppSnapshot;
  /** `alreadyLoaded`: the slot was loaded before this call (the seed's AlreadyLoaded, EMB-E024), and nothing changed. */
  load: SlotSnapshot & { alreadyLoaded: boolean };
  unload: SlotSnapshot;
  evict: SlotSnapshot;
  pin: SlotSnapshot;
  unpin: SlotSnapshot;
  setPreload: SlotSnapshot;
  setDevice: SlotSnapshot;
  setIdleTtl: SlotSnapshot;
  setSlotSource: CatalogSlotView;
  download: SlotDownloadProgress;
  downloadAll: BulkResult;
  pauseDownload: SlotDownloadProgress;
  resumeDownload: SlotDownloadProgress;
  cancelDownload: SlotDownloadProgress;
  verify: VerifyReport;
  clearSlot: ReadinessReport;
  clearCache: ReadinessReport;
  refreshReadiness: ReadinessReport;
  embed: EmbedResult;
  updateSettings: SettingsView;
  setToken: SettingsView;
  previewLoad: LoadPreview;
  readLog: { file: string | null; lines: string[] };
  openLogs: { opened: boolean; path: string | null };
  scanDisk: DiskView;
  assignModel: AssignResult;
  deleteRevision: DeleteRevisionResult;
  setAlias: AliasResult;
  probe: ProbeResult;
  checkUpdates: UpdatesView;
  applyUpdate: UpdateResult;
  rollbackUpdate: UpdateResult;
  lockLayout: LockResult;
  verifyLock: LockVerifyReport;
  previewRestore: RestorePreview;
  restoreLock: RestoreResult;
  layoutStatus: LayoutStatus;
  exportLayout: ExportResult;
}

/** One second of the VRAM history chart for one device. */
export interface HistoryPoint {
  at: number;
  device: string;
  budgetBytes: number;
  allocatedBytes: number;
  /** What the device itself reports as used (all processes); null when unknown or CPU. */
  deviceUsedBytes: number | null;
  deviceTotalBytes: number | null;
  /** Bytes per loaded slot (measured, else estimated). */
  slots: Partial<Record<SlotId, number>>;
  /** GPU utilisation and temperature at this second (cuda devices; absent or null when unknown). */
  utilizationPct?: number | null;
  temperatureC?: number | null;
}

export interface RuntimeInfo {
  mode: 'electron' | 'headless';
  version: string;
  cudaProvider: boolean;
  platform: string;
  /** Session hosts alive now. */
  hosts: Array<{ device: string; pid: number | null; sessions: number }>;
}

export interface AppSnapshot {
  at: number;
  runtime: RuntimeInfo;
  slots: SlotSnapshot[];
  catalog: CatalogSlotView[];
  devices: DeviceBudgetSnapshot[];
  gpu: GpuSample | null;
  downloads: SlotDownloadProgress[];
  readiness: ReadinessReport | null;
  activity: ActivityEntry[];
  stats: RegistryStats;
  settings: SettingsView;
  history: HistoryPoint[];
  /** Serving to code outside the dashboard: inputs waiting per slot (for a load or in its batch queue). */
  serving?: { queueDepth: Partial<Record<SlotId, number>> };
  /** What is on disk (HF cache and model folders); null report until the first scan ends. */
  disk: DiskView;
  /** Health and usage per slot (uses, texts, latency, failures in a row, last probe). */
  usage: SlotUsage[];
  /** Per slot: the commit on disk, what its branch points to on the Hub, the update size. */
  updates: UpdatesView;
}

export type AppEvent =
  | { type: 'snapshot'; snapshot: AppSnapshot }
  | { type: 'slot'; slot: SlotSnapshot }
  | { type: 'activity'; entry: ActivityEntry }
  | { type: 'stats'; stats: RegistryStats }
  | { type: 'devices'; devices: DeviceBudgetSnapshot[] }
  | { type: 'gpu'; sample: GpuSample }
  | { type: 'download'; progress: SlotDownloadProgress }
  | { type: 'readiness'; report: ReadinessReport }
  | { type: 'catalog'; catalog: CatalogSlotView[] }
  | { type: 'settings'; settings: SettingsView }
  | { type: 'history'; points: HistoryPoint[] }
  | { type: 'runtime'; runtime: RuntimeInfo }
  | { type: 'disk'; disk: DiskView }
  | { type: 'usage'; usage: SlotUsage }
  | { type: 'updates'; updates: UpdatesView };

export type AppEventType = AppEvent['type'];

/** What `window.modelbay` is, in Electron (preload) and in a browser (HTTP client). */
export type ModelbayApi = {
  [K in CommandName]: (input: CommandInput<K>) => Promise<CommandResults[K]>;
} & {
  /** Receive a snapshot first, then deltas; returns the unsubscribe function. */
  subscribe(listener: (event: AppEvent) => void): () => void;
};

/** The answer of a command as it crosses IPC or HTTP. */
export type CommandReply<K extends CommandName = CommandName> =
  | { ok: true; result: CommandResults[K] }
  | { ok: false; error: SerializedError };
