/**
 * The one walk over a whole Hugging Face hub cache. The discovery scan (cache-scan.ts) and
 * removal (snapshot-removal.ts) both read the cache through it, so they cannot disagree
 * about which snapshots use a blob. For every repository folder it lists the blobs and
 * each snapshot's files, and for every blob each (repository, snapshot, path) that links
 * to it. Caches written without symlinks (Windows without developer mode) hold copies in
 * the snapshots instead: a copy is its own bytes, used by that one entry. Metadata only.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { FileEntry } from './model-files.js';

export interface BlobInfo {
  size: number;
  mtimeMs: number;
  atimeMs: number;
}

/** One snapshot entry that uses a blob (or, for a copy, holds its own bytes). */
export interface SnapshotUse {
  /** The repository folder, e.g. `models--org--name`. */
  folder: string;
  /** The snapshot folder's name: a commit in any cache huggingface_hub wrote. */
  commit: string;
  /** Relative to the snapshot, with `/`. */
  path: string;
  /** The entry's absolute path. */
  entry: string;
}

export interface WalkedSnapshot {
  commit: string;
  files: FileEntry[];
  /** Links to something that is not a file. */
  warnings: string[];
}

export interface WalkedRepo {
  folder: string;
  dir: string;
  /** Every file under blobs/ (complete or partial), by absolute path. */
  blobs: Map<string, BlobInfo>;
  /** The folders under snapshots/ (every one is walked, commit-named or not). */
  snapshots: WalkedSnapshot[];
  /** Entries under snapshots/ of any kind: zero means the repository has no snapshot at all. */
  snapshotEntries: number;
  /** Why this repository could not be read (the others still were), else null. */
  error: Error | null;
}

export interface HubCacheWalk {
  root: string;
  /** Why the cache folder itself could not be listed (a missing folder is an empty cache). */
  error: Error | null;
  repos: WalkedRepo[];
  /** Every blob of every repository. */
  blobs: Map<string, BlobInfo>;
  /** Blob path → every snapshot entry that links to it. */
  users: Map<string, SnapshotUse[]>;
  /** Regular files inside snapshots (copies where symlinks failed), by absolute path. */
  copies: Map<string, { use: SnapshotUse; size: number }>;
  /** Blobs plus copies. */
  totalBytes: number;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

const REPO_DIR_RE = /^(models|datasets|spaces)--/;

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A folder's entries; a missing folder has none. */
export async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

export interface WalkLimits {
  /** Folders deeper than this below the start are skipped with a warning. */
  maxDepth: number;
  maxFiles: number;
  /** Maps a resolved link target back under the path the walk started from. */
  rebase?: (realPath: string) => string;
}

const NO_LIMITS: WalkLimits = { maxDepth: Infinity, maxFiles: Infinity };

/** Every file under `dir` with where its bytes are; links are followed, never folders through links. */
export async function walkFiles(dir: string, rel: string, depth: number, out: FileEntry[], warnings: string[], limits: WalkLimits = NO_LIMITS): Promise<void> {
  if (depth > limits.maxDepth) {
    warnings.push(`${rel} is nested too deeply: skipped`);
    return;
  }
  for (const d of await listDir(dir)) {
    if (out.length >= limits.maxFiles) return;
    const path = rel ? `${rel}/${d.name}` : d.name;
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      await walkFiles(p, path, depth + 1, out, warnings, limits);
    } else if (d.isSymbolicLink()) {
      try {
        const st = await stat(p);
        if (!st.isFile()) {
          warnings.push(`${path} links to something that is not a file: skipped`);
          continue;
        }
        const real = await realpath(p);
        out.push({ path, absPath: p, realPath: limits.rebase ? limits.rebase(real) : real, size: st.size, mtimeMs: st.mtimeMs, kind: 'link' });
      } catch {
        out.push({ path, absPath: p, realPath: p, size: null, mtimeMs: 0, kind: 'broken' });
      }
    } else if (d.isFile()) {
      const st = await lstat(p);
      out.push({ path, absPath: p, realPath: p, size: st.size, mtimeMs: st.mtimeMs, kind: 'copy' });
    }
  }
}

/**
 * Paths inside the cache are named from `root` as given, even when `root` (or a folder
 * above it) is itself a link: a blob reached through a snapshot link and the same blob
 * listed in blobs/ then have one name.
 */
export async function cacheRebase(root: string): Promise<(realPath: string) => string> {
  const base = resolve(root);
  const real = await realpath(base).catch(() => base);
  if (real === base) return (p) => p;
  return (p) => (p === real || p.startsWith(real + sep) ? base + p.slice(real.length) : p);
}

/** Where a snapshot link's bytes are, named as the walk names them; a dangling link gives the path it names. */
export async function linkTarget(entry: string, rebase: (realPath: string) => string): Promise<string> {
  try {
    return rebase(await realpath(entry));
  } catch {
    return resolve(dirname(entry), await readlink(entry));
  }
}

async function walkRepo(repo: WalkedRepo, rebase: (realPath: string) => string): Promise<void> {
  for (const b of await listDir(join(repo.dir, 'blobs'))) {
    if (!b.isFile()) continue;
    const p = join(repo.dir, 'blobs', b.name);
    try {
      const st = await lstat(p);
      repo.blobs.set(p, { size: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs });
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
  const snapshotsDir = join(repo.dir, 'snapshots');
  const entries = await listDir(snapshotsDir);
  repo.snapshotEntries = entries.length;
  for (const s of entries) {
    if (!s.isDirectory()) continue;
    const snapshot: WalkedSnapshot = { commit: s.name, files: [], warnings: [] };
    await walkFiles(join(snapshotsDir, s.name), '', 0, snapshot.files, snapshot.warnings, { ...NO_LIMITS, rebase });
    repo.snapshots.push(snapshot);
  }
}

/** One pass over the whole cache. A repository that cannot be read carries its error; the others are still walked. */
export async function walkHubCache(root: string): Promise<HubCacheWalk> {
  const walk: HubCacheWalk = { root, error: null, repos: [], blobs: new Map(), users: new Map(), copies: new Map(), totalBytes: 0 };
  let entries: Dirent[];
  try {
    entries = await listDir(root);
  } catch (err) {
    walk.error = asError(err);
    return walk;
  }
  const rebase = await cacheRebase(root);
  const base = resolve(root);
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || !REPO_DIR_RE.test(entry.name)) continue;
    const repo: WalkedRepo = { folder: entry.name, dir: join(base, entry.name), blobs: new Map(), snapshots: [], snapshotEntries: 0, error: null };
    try {
      await walkRepo(repo, rebase);
    } catch (err) {
      repo.error = asError(err);
    }
    walk.repos.push(repo);
    for (const [p, b] of repo.blobs) walk.blobs.set(p, b);
    for (const s of repo.snapshots) {
      for (const f of s.files) {
        const use: SnapshotUse = { folder: repo.folder, commit: s.commit, path: f.path, entry: f.absPath };
        if (f.kind === 'copy') {
          walk.copies.set(f.absPath, { use, size: f.size ?? 0 });
        } else if (f.kind === 'link') {
          const users = walk.users.get(f.realPath);
          if (users) users.push(use);
          else walk.users.set(f.realPath, [use]);
        }
      }
    }
  }
  for (const b of walk.blobs.values()) walk.totalBytes += b.size;
  for (const c of walk.copies.values()) walk.totalBytes += c.size;
  return walk;
}

/** Removal must not decide from part of the cache: the first read error, thrown as it came. */
export function assertWholeWalk(walk: HubCacheWalk): void {
  if (walk.error) throw walk.error;
  const failed = walk.repos.find((r) => r.error)?.error;
  if (failed) throw failed;
}
