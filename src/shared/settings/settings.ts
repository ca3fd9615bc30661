/**
 * User settings: one zod schema that validates the settings file on disk, the
 * `updateSettings` command and the settings form. The HF token is not part of the
 * settings: it is kept apart (Electron's safeStorage, or a 0600 file) and the settings
 * view only says whether one is set and where it comes from.
 */
import { z } from 'zod';
import { GiB } from '../values/bytes.js';
import { DEVICE_ID_RULE } from '../devices/devices.js';
import { SLOT_IDS, type SlotId } from '../slots/slots.js';
import { isDeviceId } from '../slots/state.js';
import { aliasProblem, cacheDirProblem, modelFolderProblem, repoIdProblem, repoPathProblem, revisionProblem } from '../values/values.js';

/** A zod check from one of the shared rules of values.ts. */
function rule(problem: (value: string) => string | null) {
  return z.string().superRefine((value, ctx) => {
    const p = problem(value);
    if (p !== null) ctx.addIssue({ code: 'custom', message: p });
  });
}

export const SlotIdSchema = z.enum(SLOT_IDS);
export const DeviceIdSchema = z.string().refine(isDeviceId, DEVICE_ID_RULE);
/** Whole bytes, up to 16 TiB (the slot manager's bound). */
export const BytesSchema = z.number().int().min(0).max(2 ** 44);

export const ThresholdsSchema = z
  .object({ low: z.number().gt(0).lt(1), medium: z.number().gt(0).lt(1), high: z.number().gt(0).lte(1) })
  .refine((t) => t.low < t.medium && t.medium < t.high, { message: 'thresholds must rise: low < medium < high' });

/** A repository-relative path: no absolute paths, drive letters, `..`, backslashes or control characters. */
export const RepoPathSchema = rule(repoPathProblem);
export const RepoIdSchema = rule(repoIdProblem);
export const RevisionSchema = rule(revisionProblem);
/** A user-chosen cache folder (the data-folder collision is checked by the App, which knows that folder). */
export const CacheDirSchema = rule(cacheDirProblem);
export const ModelFolderSchema = rule(modelFolderProblem);
/** Unique across slots: the App checks that, since it needs every slot's settings. */
export const AliasSchema = rule(aliasProblem);

/** The user's own model for a slot, replacing the catalog's default. */
export const SlotSourceSchema = z.object({
  repo: RepoIdSchema,
  revision: RevisionSchema.default('main'),
  model: RepoPathSchema,
  externalData: z.array(RepoPathSchema).max(16).default([]),
  tokenizer: RepoPathSchema.nullable().default('tokenizer.json'),
  pooling: z.enum(['mean', 'cls', 'none']).default('mean'),
  dims: z.number().int().positive().max(1_000_000).nullable().default(null),
});
export type SlotSource = z.infer<typeof SlotSourceSchema>;

export const SlotSettingsSchema = z.object({
  device: DeviceIdSchema.optional(),
  pinned: z.boolean().default(false),
  preload: z.boolean().default(false),
  /** null = the global idle TTL. */
  idleTtlMs: z.number().int().positive().max(30 * 24 * 3600_000).nullable().default(null),
  source: SlotSourceSchema.nullable().default(null),
  /** The slot's public name in the UI, the CLI and the serving API; null = its id. */
  alias: AliasSchema.nullable().default(null),
});
export type SlotSettings = z.infer<typeof SlotSettingsSchema>;

export const SettingsSchema = z.object({
  /** Budget of each GPU; null = 8 GiB capped at the GPU's usable memory. */
  gpuBudgetBytes: BytesSchema.min(64 * 1024 * 1024).nullable().default(null),
  /** Budget of the CPU device; null = the smaller of 8 GiB and half the RAM. */
  cpuBudgetBytes: BytesSchema.min(64 * 1024 * 1024).nullable().default(null),
  thresholds: ThresholdsSchema.default({ low: 0.5, medium: 0.8, high: 0.95 }),
  /** null = the standard HF cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub). */
  cacheDir: CacheDirSchema.nullable().default(null),
  /** null = no limit. */
  cacheLimitBytes: BytesSchema.min(1024 * 1024).nullable().default(null),
  /** null = HF_ENDPOINT or https://huggingface.co. */
  hfEndpoint: z.url({ protocol: /^https?$/ }).max(2048).nullable().default(null),
  downloadConcurrency: z.number().int().min(1).max(8).default(3),
  /** Low-speed limit (curl --speed-limit): an attempt slower than this over the window fails; 0 = off. */
  downloadLowSpeedBps: z.number().int().min(0).max(1024 ** 3).default(1024),
  /** Low-speed window (curl --speed-time), in seconds. */
  downloadLowSpeedSeconds: z.number().int().min(1).max(3600).default(30),
  /** Range parts fetched at once for one large LFS file when the server honours Range; 1 = one stream. */
  downloadPartsPerFile: z.number().int().min(1).max(16).default(4),
  loadConcurrency: z.number().int().min(1).max(13).default(2),
  /** Global idle TTL; null = never unload idle models. */
  idleTtlMs: z.number().int().positive().max(30 * 24 * 3600_000).nullable().default(null),
  strictGpu: z.boolean().default(false),
  /** Download a slot's missing files when it is loaded (or preloaded). */
  autoDownload: z.boolean().default(false),
  /** Debug lines in the log file (info and above otherwise). */
  debugLog: z.boolean().default(false),
  slots: z.partialRecord(SlotIdSchema, SlotSettingsSchema).default({}),
  /** The user's own model folders (an .onnx, tokenizer.json and config.json), listed with the cache. */
  modelFolders: z.array(ModelFolderSchema).max(64).default([]),
  /** Refuse to start without a usable CUDA device and provider (exit 101 headless). */
  requireGpu: z.boolean().default(false),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** A partial update: top-level keys replace, `slots` entries merge per slot. */
export const SettingsPatchSchema = SettingsSchema.partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export function defaultSettings(): Settings {
  return SettingsSchema.parse({});
}

export type TokenSource = 'app' | 'env' | 'file' | null;

/** Settings as the UI sees them: never the token itself. */
export interface SettingsView {
  settings: Settings;
  /** `backend`: where an app-set token is kept (safeStorage's backend in the desktop app, e.g. basic_text when no keyring exists); null in headless mode. */
  token: { set: boolean; source: TokenSource; encrypted: boolean; backend?: string | null };
  /** The cache folder in use (resolved from settings and the environment). */
  cacheDir: string;
  /** The endpoint in use. */
  endpoint: string;
  offline: boolean;
}

export function slotSettings(settings: Settings, slot: SlotId): SlotSettings {
  return settings.slots[slot] ?? SlotSettingsSchema.parse({});
}

export const DEFAULT_GPU_BUDGET = 8 * GiB;
