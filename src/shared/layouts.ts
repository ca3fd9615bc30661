/**
 * Layouts: the lockfile that pins the 13 slots to exact repositories, commits and file
 * bytes (`modelbay.lock.json`), what verifying, restoring and exporting one report. The
 * schema here reads a lockfile at every boundary (CLI, HTTP, dashboard); the core builds,
 * verifies and restores them.
 */
import { z } from 'zod';
import type { SerializedError } from './errors.js';
import { AliasSchema, DeviceIdSchema, RepoIdSchema, RepoPathSchema, SlotIdSchema } from './settings.js';
import type { SlotId } from './slots.js';

export const LOCKFILE_VERSION = 1;
export const DEFAULT_LOCKFILE_NAME = 'modelbay.lock.json';

const COMMIT = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export const LockedFileSchema = z.object({
  path: RepoPathSchema,
  /** What the file is to the slot: the restore needs to know which one is the model. */
  role: z.enum(['model', 'external-data', 'tokenizer', 'config', 'other']),
  sha256: z.string().regex(SHA256, 'a sha256 is 64 lowercase hex characters'),
  size: z.number().int().min(0).max(2 ** 44),
}).strict();

export const LockedSlotSchema = z.object({
  slot: SlotIdSchema,
  repo: RepoIdSchema,
  /** Always the commit, never a branch: a branch moves. */
  revision: z.string().regex(COMMIT, 'a locked revision is a 40-hex commit, never a branch'),
  files: z.array(LockedFileSchema).min(1).max(32)
    .refine((files) => files.filter((f) => f.role === 'model').length === 1, 'a locked slot has exactly one file with role "model"')
    .refine((files) => new Set(files.map((f) => f.path)).size === files.length, 'a file is listed twice'),
  variant: z.enum(['fp32', 'fp16', 'int8']).nullable(),
  pooling: z.enum(['mean', 'cls', 'none']).nullable(),
  dims: z.number().int().positive().max(1_000_000).nullable(),
  device: DeviceIdSchema,
  alias: AliasSchema.nullable(),
  pinned: z.boolean(),
  preload: z.boolean(),
}).strict();

export const LockfileSchema = z.object({
  lockfileVersion: z.literal(LOCKFILE_VERSION),
  createdAt: z.iso.datetime(),
  modelbay: z.string().min(1).max(64),
  slots: z.array(LockedSlotSchema).max(13)
    .refine((slots) => new Set(slots.map((s) => s.slot)).size === slots.length, 'a slot is listed twice')
    .refine((slots) => {
      const aliases = slots.map((s) => s.alias).filter((a) => a !== null);
      return new Set(aliases).size === aliases.length;
    }, 'two slots carry the same alias'),
}).strict();

export type LockedFile = z.infer<typeof LockedFileSchema>;
export type LockedSlot = z.infer<typeof LockedSlotSchema>;
export type Lockfile = z.infer<typeof LockfileSchema>;

/** The largest lockfile accepted (13 slots of 32 files fit in a fraction of this). */
export const MAX_LOCKFILE_BYTES = 200 * 1024;

/** A lockfile as sent to a command: the parsed JSON document, validated by the handler (EMB-E150). */
const LockInput = z.unknown().refine((v) => v !== undefined, 'a lockfile is required');
const SlotList = z.array(SlotIdSchema).min(1).max(13).optional();

export const LAYOUT_COMMAND_SCHEMAS = {
  /** The running layout as a lockfile (hashing every file on disk); recorded as the last lockfile. */
  lockLayout: z.object({ slots: SlotList }).strict(),
  /** Every locked file in the HF cache at its commit with its sha256 and size. */
  verifyLock: z.object({ lock: LockInput, slots: SlotList }).strict(),
  /** What restoring would change, changing nothing. */
  previewRestore: z.object({ lock: LockInput, slots: SlotList }).strict(),
  /** Assign, download, verify against the lockfile and configure each locked slot. */
  restoreLock: z.object({ lock: LockInput, slots: SlotList }).strict(),
  /** Whether the layout still matches the last lockfile written or restored. */
  layoutStatus: z.object({}).strict(),
  /** A Triton model repository (and, for kserve, an InferenceService) in an absolute, empty or new folder. */
  exportLayout: z.object({
    target: z.enum(['triton', 'kserve']),
    dir: z.string().min(1).max(4096),
    slots: SlotList,
    lock: LockInput.optional(),
    storageUri: z.string().min(1).max(2048).optional(),
  }).strict(),
} as const;

export interface LockResult {
  lock: Lockfile;
  /** Slots left out: no model, or files not (all) on disk. */
  skipped: Array<{ slot: SlotId; reason: string }>;
}

export type LockFileProblem = 'missing' | 'size' | 'sha256';

export interface LockVerifySlot {
  slot: SlotId;
  repo: string;
  revision: string;
  ok: boolean;
  files: Array<{ path: string; ok: boolean; problem: LockFileProblem | null; expected: string; actual: string | null; size: number | null }>;
}

export interface LockVerifyReport {
  ok: boolean;
  cacheDir: string;
  slots: LockVerifySlot[];
  /** One line per file that is missing or differs: `E1 onnx/model.onnx: sha256 differs`. */
  problems: string[];
}

export interface LayoutChange {
  field: 'model' | 'device' | 'alias' | 'pinned' | 'preload' | 'pooling' | 'dims';
  from: string | number | boolean | null;
  to: string | number | boolean | null;
}

export interface RestorePreviewSlot {
  slot: SlotId;
  changes: LayoutChange[];
  /** Bytes to download (files not yet in the cache at the locked commit). */
  downloadBytes: number;
  /** The locked device is not on this machine: where the slot goes instead. */
  deviceFallback: { wanted: string; used: string } | null;
  /** Why the slot cannot be restored now (busy, for example); null when it can. */
  blocked: SerializedError | null;
}

export interface RestorePreview {
  slots: RestorePreviewSlot[];
  downloadBytes: number;
  /** Slots the lockfile does not mention stay as they are. */
  untouched: SlotId[];
}

export interface RestoreSlotResult {
  slot: SlotId;
  ok: boolean;
  error: SerializedError | null;
  device: { wanted: string; used: string; fellBack: boolean };
  verify: LockVerifySlot | null;
}

export interface RestoreResult {
  ok: boolean;
  slots: RestoreSlotResult[];
}

export interface LayoutStatus {
  /** The last lockfile written or restored here; null when there is none. */
  last: { createdAt: string; recordedAt: number; how: 'written' | 'restored'; slots: SlotId[] } | null;
  /** Whether the running layout differs from it, and how (one line per difference). */
  differs: boolean;
  differences: string[];
}

export interface ExportedModel {
  slot: SlotId;
  /** The model a client calls: the ensemble for text models, else the ONNX model itself. */
  name: string;
  /** Every model folder written for this slot (ensemble, tokenizer, ONNX model, pooling). */
  models: string[];
  instanceKind: 'KIND_GPU' | 'KIND_CPU';
}

export interface ExportResult {
  target: 'triton' | 'kserve';
  dir: string;
  models: ExportedModel[];
  /** Every file written, relative to `dir`. */
  files: string[];
  /** How each model file got there (hard links share the cache's bytes). */
  linked: number;
  copied: number;
}
