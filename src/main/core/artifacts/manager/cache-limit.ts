/**
 * Which revisions the cache size limit removes, decided from the one cache walk
 * (../cache/hf-cache-walk.ts), which says which snapshots use each blob. Only repositories
 * Modelbay manages are candidates (another program's models in the shared cache are not
 * ours to delete), a revision goes whole, and in this order: revisions no slot has used,
 * least recently used first; then revisions a slot used before, oldest first, the one a
 * roll back would return to last. A revision a slot uses now is never a candidate, nor is
 * any blob it shares with one.
 */
import type { SlotHistory } from '../../../../shared/artifacts/updates.js';
import { COMMIT_RE } from '../../../../shared/values/values.js';
import type { HubCacheWalk, WalkedSnapshot } from '../cache/hf-cache-walk.js';

export interface LimitInput {
  walk: HubCacheWalk;
  limitBytes: number;
  /** Repository folder (`models--org--name`) → its repository id, for every repository Modelbay manages. */
  repos: ReadonlyMap<string, string>;
  /** Repository folder → commits in use (an assigned slot's revision): never removed. */
  active: ReadonlyMap<string, ReadonlySet<string>>;
  /** Repository folders with a download running or paused: left whole until it ends. */
  frozen: ReadonlySet<string>;
  history: readonly SlotHistory[];
  /** Blob → when Modelbay last opened it (null = never). */
  lastUsed: (blob: string) => number | null;
}

export interface LimitUnit {
  repo: string;
  folder: string;
  commit: string;
  paths: string[];
}

export interface LimitPlan {
  remove: LimitUnit[];
  /** The cache's size once `remove` is gone. */
  afterBytes: number;
  /** Bytes of the revisions in use (and blobs they share): what no limit removes. */
  inUseBytes: number;
}

interface Candidate extends LimitUnit {
  tier: number;
  order: number;
  /** Blobs (or copies) holding its bytes that no revision in use shares. */
  own: Array<{ key: string; size: number }>;
}

function snapshotKey(folder: string, commit: string): string {
  return `${folder}\n${commit}`;
}

/** Per repository folder and commit: when a slot last used it and whether a roll back needs it. */
function historyIndex(history: readonly SlotHistory[], folderOf: (repo: string) => string | null): Map<string, { at: number; rollback: boolean }> {
  const out = new Map<string, { at: number; rollback: boolean }>();
  for (const h of history) {
    const folder = folderOf(h.repo);
    if (!folder) continue;
    const rollbackTo = [...h.entries].reverse().find((e) => e.commit !== h.active)?.commit;
    for (const e of h.entries) {
      const key = snapshotKey(folder, e.commit);
      const prev = out.get(key);
      const at = e.activatedAt ?? e.fetchedAt ?? 0;
      out.set(key, { at: Math.max(at, prev?.at ?? 0), rollback: (prev?.rollback ?? false) || e.commit === rollbackTo });
    }
  }
  return out;
}

export function planCacheLimit(input: LimitInput): LimitPlan {
  const { walk } = input;
  const folderByRepo = new Map([...input.repos].map(([folder, repo]) => [repo, folder]));
  const used = historyIndex(input.history, (repo) => folderByRepo.get(repo) ?? null);
  const isActive = (folder: string, commit: string): boolean => input.active.get(folder)?.has(commit) === true;
  const removable = (folder: string, commit: string): boolean =>
    input.repos.has(folder) && !input.frozen.has(folder) && COMMIT_RE.test(commit) && !isActive(folder, commit);

  // Bytes a revision in use holds, or that another program's snapshot links to: never freed.
  const pinned = new Set<string>();
  let inUseBytes = 0;
  for (const [blob, users] of walk.users) {
    if (users.some((u) => !removable(u.folder, u.commit))) {
      pinned.add(blob);
      if (users.some((u) => isActive(u.folder, u.commit))) inUseBytes += walk.blobs.get(blob)?.size ?? 0;
    }
  }
  for (const [entry, c] of walk.copies) if (isActive(c.use.folder, c.use.commit)) inUseBytes += walk.copies.get(entry)?.size ?? 0;

  const candidates: Candidate[] = [];
  for (const repo of walk.repos) {
    const id = input.repos.get(repo.folder);
    if (id === undefined) continue;
    for (const snap of repo.snapshots) {
      if (!removable(repo.folder, snap.commit)) continue;
      const own = ownBytes(snap, pinned, walk);
      if (own.length === 0) continue;
      const h = used.get(snapshotKey(repo.folder, snap.commit));
      const lastUse = Math.max(0, ...own.map((o) => input.lastUsed(o.key) ?? walk.blobs.get(o.key)?.atimeMs ?? 0));
      candidates.push({
        repo: id, folder: repo.folder, commit: snap.commit, paths: snap.files.map((f) => f.path), own,
        tier: h === undefined ? 0 : h.rollback ? 2 : 1,
        order: h === undefined ? lastUse : h.at,
      });
    }
  }
  candidates.sort((a, b) => a.tier - b.tier || a.order - b.order);

  let total = walk.totalBytes;
  const gone = new Set<string>();
  const freed = new Set<string>();
  const remove: LimitUnit[] = [];
  for (const c of candidates) {
    if (total <= input.limitBytes) break;
    gone.add(snapshotKey(c.folder, c.commit));
    remove.push({ repo: c.repo, folder: c.folder, commit: c.commit, paths: c.paths });
    for (const o of c.own) {
      if (freed.has(o.key)) continue;
      // A blob another candidate still links to goes with the last of them.
      const users = walk.users.get(o.key) ?? [];
      if (users.every((u) => gone.has(snapshotKey(u.folder, u.commit)))) {
        freed.add(o.key);
        total -= o.size;
      }
    }
  }
  return { remove, afterBytes: total, inUseBytes };
}

/** The bytes a revision could give back: its blobs no revision in use shares, and its copies. */
function ownBytes(snap: WalkedSnapshot, pinned: ReadonlySet<string>, walk: HubCacheWalk): Array<{ key: string; size: number }> {
  const out = new Map<string, number>();
  for (const f of snap.files) {
    if (f.kind === 'copy') out.set(f.absPath, f.size ?? 0);
    else if (f.kind === 'link' && !pinned.has(f.realPath) && walk.blobs.has(f.realPath)) out.set(f.realPath, walk.blobs.get(f.realPath)?.size ?? 0);
  }
  return [...out].map(([key, size]) => ({ key, size }));
}
