/**
 * Removing snapshot entries and blobs from the shared HF cache without hurting anything
 * else in it: a blob goes only when no snapshot entry (of any revision, any repository)
 * still links to it, and only the snapshot entries and refs of Modelbay's slots are
 * touched. Which entries use a blob comes from the one cache walk (hf-cache-walk.ts),
 * the same one the discovery scan reads. @huggingface/hub's scanCacheDir does not fit:
 * it skips snapshot sub-folders (onnx/…), ignores blobs no snapshot links to (partial
 * downloads) and throws on a dangling ref.
 */
import { lstat, readFile, rm, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HubCacheLayout } from './hf-cache-layout.js';
import { assertWholeWalk, cacheRebase, isMissing, linkTarget, listDir as list, walkHubCache } from './hf-cache-walk.js';

export interface SnapshotFileRef {
  repo: string;
  commit: string;
  path: string;
}

async function removeEmptyDirs(dir: string, stopAt: string): Promise<void> {
  let d = dir;
  while (d.startsWith(stopAt) && d !== stopAt) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    d = dirname(d);
  }
}

async function removeEmptyTree(dir: string): Promise<boolean> {
  let empty = true;
  for (const d of await list(dir)) {
    if (d.isDirectory() && (await removeEmptyTree(join(dir, d.name)))) continue;
    empty = false;
  }
  if (!empty) return false;
  try {
    await rmdir(dir);
    return true;
  } catch {
    return false;
  }
}

export interface RemovalResult {
  removedBytes: number;
  /** Blobs (and copied snapshot files) deleted. */
  removed: string[];
  /** Blobs kept because another snapshot still links to them. */
  keptShared: string[];
}

/**
 * Removes the given snapshot entries, then every blob they linked to that no other
 * snapshot entry in the cache still uses; a snapshot folder left empty goes with its refs.
 */
export async function removeSnapshotFiles(layout: HubCacheLayout, files: SnapshotFileRef[]): Promise<RemovalResult> {
  const result: RemovalResult = { removedBytes: 0, removed: [], keptShared: [] };
  const orphanCandidates = new Set<string>();
  const touchedSnapshots = new Map<string, SnapshotFileRef>();
  const rebase = await cacheRebase(layout.root);
  for (const f of files) {
    const entry = layout.snapshotPath(f.repo, f.commit, f.path);
    const blobsDir = layout.blobsDir(f.repo);
    let st;
    try {
      st = await lstat(entry);
    } catch (err) {
      if (isMissing(err)) continue;
      throw err;
    }
    touchedSnapshots.set(layout.snapshotDir(f.repo, f.commit), f);
    if (st.isSymbolicLink()) {
      const target = await linkTarget(entry, rebase);
      // Only blobs of the repository's own blobs/ are ours to consider.
      if (dirname(target) === blobsDir) orphanCandidates.add(target);
      await unlink(entry);
    } else if (st.isFile()) {
      await unlink(entry);
      result.removedBytes += st.size;
      result.removed.push(entry);
    }
    await removeEmptyDirs(dirname(entry), layout.snapshotDir(f.repo, f.commit));
  }
  if (orphanCandidates.size > 0) {
    const walk = await walkHubCache(layout.root);
    assertWholeWalk(walk);
    for (const blob of orphanCandidates) {
      if ((walk.users.get(blob)?.length ?? 0) > 0) {
        result.keptShared.push(blob);
        continue;
      }
      const size = walk.blobs.get(blob)?.size ?? 0;
      await rm(blob, { force: true });
      result.removedBytes += size;
      result.removed.push(blob);
    }
  }
  for (const [snapDir, f] of touchedSnapshots) {
    if (!(await removeEmptyTree(snapDir))) continue;
    // The snapshot is gone: refs naming its commit would dangle (huggingface_hub's scan chokes on those).
    const refsDir = join(layout.repoDir(f.repo), 'refs');
    await removeRefsTo(refsDir, f.commit);
  }
  return result;
}

async function removeRefsTo(dir: string, commit: string): Promise<void> {
  for (const d of await list(dir)) {
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      await removeRefsTo(p, commit);
      continue;
    }
    try {
      if ((await readFile(p, 'utf8')).trim() === commit) await unlink(p);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
}
