/**
 * Reading and writing `modelbay.lock.json`. Reading validates the whole document (EMB-E150
 * naming the field that is wrong); writing puts every key in one fixed order and sorts
 * slots and files, so two locks of the same layout differ only in `createdAt` and the file
 * diffs well in git.
 */
import { ModelbayError } from '../../../shared/errors.js';
import { LockfileSchema, MAX_LOCKFILE_BYTES, type LockedFile, type LockedSlot, type Lockfile } from '../../../shared/layouts.js';
import { SLOT_IDS } from '../../../shared/slots.js';

function invalid(message: string, details: Record<string, unknown> = {}): ModelbayError {
  return new ModelbayError('EMB-E150', message, details);
}

/** A lockfile document (already parsed JSON, or its text) as a validated Lockfile. */
export function parseLockfile(input: unknown): Lockfile {
  let doc = input;
  if (typeof input === 'string') {
    if (Buffer.byteLength(input, 'utf8') > MAX_LOCKFILE_BYTES) throw invalid(`The lockfile is larger than ${MAX_LOCKFILE_BYTES} bytes: it is not a Modelbay lockfile.`, { limit: MAX_LOCKFILE_BYTES });
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
