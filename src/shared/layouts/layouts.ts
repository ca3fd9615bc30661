/**
 * Layouts: the lockfile that pins the 13 slots to exact repositories, commits and file
 * bytes (`modelbay.lock.json`), what verifying, restoring and exporting one report. The
 * schema here reads a lockfile at every boundary (CLI, HTTP, dashboard); the core builds,
 * verifies and restores them.
 */
import { z } from 'zod';
import { ModelbayError, type SerializedError } from '../errors/errors.js';
import { AliasSchema, DeviceIdSchema, RepoIdSchema, RepoPathSchema, SlotIdSchema } from '../settings/settings.js';
import { SLOT_IDS, type SlotId } from '../slots/slots.js';
import { COMMIT_RE, SHA256_RE } from '../values/values.js';

export const LOCKFILE_VERSION = 1;
export const DEFAULT_LOCKFILE_NAME = 'modelbay.lock.json';


export const LockedFileSchema = z.object({
  path: RepoPathSchema,
  /** What the file is to the slot: the restore needs to know which one is the model. */
  role: z.enum(['model', 'external-data', 'tokenizer', 'config', 'other']),
  sha256: z.string().regex(SHA256_RE, 'a sha256 is 64 lowercase hex characters'),
  size: z.number().int().min(0).max(2 ** 44),
}).strict();

export const LockedSlotSchema = z.object({
  slot: SlotIdSchema,
  repo: RepoIdSchema,
  /** Always the commit, never a branch: a branch moves. */
  revision: z.string().regex(COMMIT_RE, 'a locked revision is a 40-hex commit, never a branch'),
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

// ── reading and writing lockfiles ─────────────────────────────────────────────
// Reading validates the whole document (EMB-E150 naming the field that is wrong); writing
// puts every key in one fixed order and sorts slots and files, so two locks of the same
// layout differ only in `createdAt` and the file diffs well in git.

function invalid(message: string, details: Record<string, unknown> = {}): ModelbayError {
  return new ModelbayError('EMB-E150', message, details);
}

/** A lockfile document (already parsed JSON, or its text) as a validated Lockfile. */
export function parseLockfile(input: unknown): Lockfile {
  let doc = input;
  if (typeof input === 'string') {
    if (new TextEncoder().encode(input).length > MAX_LOCKFILE_BYTES) throw invalid(`The lockfile is larger than ${MAX_LOCKFILE_BYTES} bytes: it is not a Modelbay lockfile.`, { limit: MAX_LOCKFILE_BYTES });
    try {
      doc = JSON.parse(input);
    } catch (e) {
      throw invalid(`The lockfile is not valid JSON: ${(e as Error).message}.`);
    }
  }
  if (typeof doc === 'object' && doc !== null && 'lockfileVersion' in doc && doc.lockfileVersion !== 1) {
    const v = doc.lockfileVersion;
    throw invalid(`This lockfile has lockfileVersion ${JSON.stringify(v)}; this Modelbay reads version 1. Update Modelbay to read it.`, { lockfileVersion: typeof v === 'number' ? v : String(v) });
  }
  const parsed = LockfileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.map(String).join('.') || '(root)' : '(root)';
    throw invalid(`The lockfile is invalid at "${field}": ${issue?.message ?? 'invalid value'}.`, { field, issues: parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) });
  }
  return parsed.data;
}

function orderedFile(f: LockedFile): LockedFile {
  return { path: f.path, role: f.role, sha256: f.sha256, size: f.size };
}

function orderedSlot(s: LockedSlot): LockedSlot {
  return {
    slot: s.slot, repo: s.repo, revision: s.revision,
    files: [...s.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map(orderedFile),
    variant: s.variant, pooling: s.pooling, dims: s.dims, device: s.device, alias: s.alias, pinned: s.pinned, preload: s.preload,
  };
}

/** The lockfile with its keys in the one stable order, slots in E1…E13 order, files by path. */
export function orderedLockfile(lock: Lockfile): Lockfile {
  const rank = (slot: string): number => SLOT_IDS.indexOf(slot as (typeof SLOT_IDS)[number]);
  return {
    lockfileVersion: lock.lockfileVersion,
    createdAt: lock.createdAt,
    modelbay: lock.modelbay,
    slots: [...lock.slots].sort((a, b) => rank(a.slot) - rank(b.slot)).map(orderedSlot),
  };
}

/** The text written to disk: two-space JSON and a final newline. */
export function serializeLockfile(lock: Lockfile): string {
  return `${JSON.stringify(orderedLockfile(lock), null, 2)}\n`;
}
