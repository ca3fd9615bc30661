/**
 * The running layout as a lockfile, and a lockfile checked against the HF cache. Both read
 * the cache the way huggingface_hub writes it (`snapshots/<commit>/<path>`), so a model
 * downloaded by Python or the Hub CLI is locked and verified like one Modelbay fetched;
 * every sha256 is of the bytes on disk now, never a remembered one.
 */
import { stat } from 'node:fs/promises';
import type { CatalogFileView, ModelVariant, Pooling } from '../../../shared/artifacts/artifacts.js';
import { LOCKFILE_VERSION, type LockedSlot, type LockResult, type LockVerifyReport, type LockVerifySlot, type Lockfile } from '../../../shared/layouts/layouts.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import { hashFile } from '../artifacts/transfer/blob-hasher.js';
import type { HubCacheLayout } from '../artifacts/cache/hf-cache-layout.js';
import { cachedCommit } from '../artifacts/cache/revision-refs.js';
import { orderedLockfile } from '../../../shared/layouts/layouts.js';

/** One slot of the running layout, as the App knows it. */
export interface LayoutSlot {
  slot: SlotId;
  repo: string;
  /** A branch or a commit: the cache's refs/ resolve a branch to the commit on disk. */
  revision: string;
  files: Array<Pick<CatalogFileView, 'path' | 'role'>>;
  variant: ModelVariant | null;
  pooling: Pooling | null;
  dims: number | null;
  device: string;
  alias: string | null;
  pinned: boolean;
  preload: boolean;
}

async function fileSize(path: string): Promise<number | null> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/** Lock every slot whose files are all on disk; the others are listed with the reason. */
export async function buildLock(slots: LayoutSlot[], layout: HubCacheLayout, o: { version: string; now: Date }): Promise<LockResult> {
  const locked: LockedSlot[] = [];
  const skipped: LockResult['skipped'] = [];
  for (const s of slots) {
    const commit = await cachedCommit(layout, s.repo, s.revision);
    if (commit === null) {
      skipped.push({ slot: s.slot, reason: `${s.repo}@${s.revision} is not in the cache` });
      continue;
    }
    const files: LockedSlot['files'] = [];
    let missing: string | null = null;
    for (const f of s.files) {
      const path = layout.snapshotPath(s.repo, commit, f.path);
      const size = await fileSize(path);
      if (size === null) {
        missing = f.path;
        break;
      }
      const digest = await hashFile(path, size, false);
      files.push({ path: f.path, role: f.role, sha256: digest.sha256, size: digest.size });
    }
    if (missing !== null) {
      skipped.push({ slot: s.slot, reason: `${missing} is not in the cache at ${commit.slice(0, 12)}` });
      continue;
    }
    locked.push({
      slot: s.slot, repo: s.repo, revision: commit, files,
      variant: s.variant, pooling: s.pooling, dims: s.dims, device: s.device, alias: s.alias, pinned: s.pinned, preload: s.preload,
    });
  }
  const lock: Lockfile = { lockfileVersion: LOCKFILE_VERSION, createdAt: o.now.toISOString(), modelbay: o.version, slots: locked };
  return { lock: orderedLockfile(lock), skipped };
}

/** Check one locked slot's files in the cache: present at the commit, same size, same sha256. */
export async function verifyLockedSlot(s: LockedSlot, layout: HubCacheLayout): Promise<LockVerifySlot> {
  const files: LockVerifySlot['files'] = [];
  for (const f of s.files) {
    const path = layout.snapshotPath(s.repo, s.revision, f.path);
    const size = await fileSize(path);
    if (size === null) {
      files.push({ path: f.path, ok: false, problem: 'missing', expected: f.sha256, actual: null, size: null });
      continue;
    }
    if (size !== f.size) {
      files.push({ path: f.path, ok: false, problem: 'size', expected: f.sha256, actual: null, size });
      continue;
    }
    const digest = await hashFile(path, size, false);
    const ok = digest.sha256 === f.sha256 && digest.size === f.size;
    files.push({ path: f.path, ok, problem: ok ? null : 'sha256', expected: f.sha256, actual: digest.sha256, size: digest.size });
  }
  return { slot: s.slot, repo: s.repo, revision: s.revision, ok: files.every((f) => f.ok), files };
}

/** One line per file that is missing or differs, e.g. `E1 onnx/model.onnx: sha256 differs`. */
export function problemLines(slot: LockVerifySlot, lock: Pick<LockedSlot, 'files'> | null = null): string[] {
  return slot.files.filter((f) => !f.ok).map((f) => {
    const lockedSize = lock?.files.find((x) => x.path === f.path)?.size;
    if (f.problem === 'missing') return `${slot.slot} ${f.path}: missing from the cache at ${slot.revision.slice(0, 12)}`;
    if (f.problem === 'size') return `${slot.slot} ${f.path}: size differs (${f.size ?? '?'} B on disk${lockedSize !== undefined ? `, ${lockedSize} B locked` : ''})`;
    return `${slot.slot} ${f.path}: sha256 differs`;
  });
}

export async function verifyLock(lock: Lockfile, layout: HubCacheLayout, only: readonly SlotId[] | null = null): Promise<LockVerifyReport> {
  const slots: LockVerifySlot[] = [];
  const problems: string[] = [];
  for (const s of lock.slots) {
    if (only && !only.includes(s.slot)) continue;
    const v = await verifyLockedSlot(s, layout);
    slots.push(v);
    problems.push(...problemLines(v, s));
  }
  return { ok: slots.every((s) => s.ok), cacheDir: layout.root, slots, problems };
}
