/**
 * Clearing slots from the cache: one slot or all (never a file another slot uses, never
 * another repository's), partial downloads with them, and the cache size limit (its order:
 * cache-limit.ts). Which slot owns which entries is decided here; the removal on disk
 * itself is ../cache/snapshot-removal.ts.
 */
import type { ReadinessReport } from '../../../../shared/artifacts/artifacts.js';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { SLOT_IDS, isSlotId, type SlotId } from '../../../../shared/slots/slots.js';
import { removeSnapshotFiles, type SnapshotFileRef } from '../cache/snapshot-removal.js';
import { assertWholeWalk, walkHubCache } from '../cache/hf-cache-walk.js';
import { repoFolderName } from '../cache/hf-cache-layout.js';
import type { SlotHistory } from '../../../../shared/artifacts/updates.js';
import { formatBytes } from '../../../../shared/values/bytes.js';
import { count } from '../../../../shared/values/counts.js';
import { planCacheLimit } from './cache-limit.js';
import type { CatalogFile } from './catalog.js';
import { cachedCommit } from '../cache/revision-refs.js';
import { megabytes, request, type ManagerState } from './manager-state.js';

export class SlotClearing {
  constructor(private readonly s: ManagerState) {}

  /** Every snapshot entry a slot may have written: all catalog variants and the user's source. */
  private async slotEntries(slot: SlotId, onlyCurrent: boolean): Promise<SnapshotFileRef[]> {
    const models: Array<{ repo: string; revision: string; files: CatalogFile[] }> = [];
    const current = this.s.model(slot);
    if (current) models.push(current);
    const entry = this.s.catalogEntries[slot];
    if (!onlyCurrent && entry.repo && entry.revision) {
      for (const v of Object.values(entry.variants)) models.push({ repo: entry.repo, revision: entry.revision, files: v.files });
    }
    const out: SnapshotFileRef[] = [];
    for (const m of models) {
      const commit = await cachedCommit(this.s.layout, m.repo, m.revision, this.s.fs);
      if (!commit) continue;
      for (const f of m.files) out.push({ repo: m.repo, commit, path: f.path });
    }
    return out;
  }

  private key(r: SnapshotFileRef): string {
    return `${r.repo}\n${r.commit}\n${r.path}`;
  }

  async clearSlots(slots: SlotId[]): Promise<ReadinessReport> {
    const busy = slots.filter((s) => this.s.running(s));
    if (busy.length > 0) throw new ModelbayError('EMB-E007', `${busy.join(', ')} ${busy.length === 1 ? 'is' : 'are'} downloading: pause or cancel first.`, { slots: busy });
    const chosen = new Set(slots);
    const keep = new Map<string, SlotId[]>();
    for (const other of SLOT_IDS) {
      if (chosen.has(other)) continue;
      for (const r of await this.slotEntries(other, true)) keep.set(this.key(r), [...(keep.get(this.key(r)) ?? []), other]);
    }
    const remove = new Map<string, SnapshotFileRef>();
    const sharedWith = new Map<SlotId, Set<SlotId>>();
    for (const s of slots) {
      for (const r of await this.slotEntries(s, false)) {
        const users = keep.get(this.key(r));
        if (users) {
          const set = sharedWith.get(s) ?? new Set<SlotId>();
          users.forEach((u) => set.add(u));
          sharedWith.set(s, set);
          continue;
        }
        remove.set(this.key(r), r);
      }
    }
    const result = await removeSnapshotFiles(this.s.layout, [...remove.values()]);
    // Partial downloads of the cleared files would otherwise linger in blobs/ unseen
    // (a partial exists before any snapshot does, so match by revision, not commit).
    const keptRequests = new Set(SLOT_IDS.filter((o) => !chosen.has(o)).flatMap((o) => {
      const m = this.s.model(o);
      return m ? m.files.map((f) => `${m.repo}\n${m.revision}\n${f.path}`) : [];
    }));
    for (const s of slots) {
      const m = this.s.model(s);
      for (const f of m?.files ?? []) {
        if (m && !keptRequests.has(`${m.repo}\n${m.revision}\n${f.path}`)) await this.s.downloader.discardPartial(request(m, f)).catch(() => undefined);
      }
    }
    for (const b of result.removed) this.s.records.delete(b);
    await this.s.records.flush();
    for (const s of slots) {
      this.s.failures.delete(s);
      const j = this.s.jobs.get(s);
      if (j && !j.run) this.s.jobs.delete(s);
    }
    const report = await this.s.readiness();
    const names = slots.length === SLOT_IDS.length ? 'All slots' : slots.join(', ');
    let message = `${names} cleared (${megabytes(result.removedBytes)} freed)`;
    const shared = [...sharedWith].map(([s, users]) => `${s} shares files with ${[...users].join(', ')}`);
    if (shared.length > 0) message += `; kept: ${shared.join('; ')}`;
    this.s.activity('info', slots.length === 1 ? (slots[0] ?? null) : null, message);
    return report;
  }

  clear(slot: SlotId): Promise<ReadinessReport> {
    if (!isSlotId(slot)) return Promise.reject(new ModelbayError('EMB-E001', `There is no slot "${String(slot)}".`, { slot }));
    return this.clearSlots([slot]);
  }

  clearAll(): Promise<ReadinessReport> {
    return this.clearSlots([...SLOT_IDS]);
  }

  async enforceCacheLimit(protectedSlots: ReadonlySet<SlotId>, history: readonly SlotHistory[]): Promise<{ removedBytes: number; removed: string[] }> {
    const limit = this.s.config.cacheLimitBytes;
    if (limit === null) return { removedBytes: 0, removed: [] };
    const walk = await walkHubCache(this.s.layout.root);
    assertWholeWalk(walk);
    if (walk.totalBytes <= limit) return { removedBytes: 0, removed: [] };
    const repos = new Map<string, string>();
    const active = new Map<string, Set<string>>();
    const frozen = new Set<string>();
    const manage = (repo: string): string => {
      const folder = repoFolderName(repo);
      repos.set(folder, repo);
      return folder;
    };
    for (const h of history) manage(h.repo);
    for (const s of SLOT_IDS) {
      const entry = this.s.catalogEntries[s];
      if (entry.repo) manage(entry.repo);
      const m = this.s.model(s);
      if (!m) continue;
      const folder = manage(m.repo);
      // A download running or paused writes into its repository: nothing there goes meanwhile.
      if (this.s.running(s) || this.s.revisionPending(s)) frozen.add(folder);
      // Every assigned slot's revision stays, loaded or not (protected slots are assigned ones too).
      const commit = await cachedCommit(this.s.layout, m.repo, m.revision, this.s.fs);
      if (commit) active.set(folder, (active.get(folder) ?? new Set()).add(commit));
      else if (protectedSlots.has(s)) frozen.add(folder);
    }
    const plan = planCacheLimit({ walk, limitBytes: limit, repos, active, frozen, history, lastUsed: (b) => this.s.records.lastUsed(b) });
    const result = await removeSnapshotFiles(this.s.layout, plan.remove.flatMap((u) => u.paths.map((path) => ({ repo: u.repo, commit: u.commit, path }))));
    for (const b of result.removed) this.s.records.delete(b);
    if (result.removed.length > 0) {
      await this.s.records.flush();
      await this.s.readiness();
      const revisions = plan.remove.map((u) => `${u.repo}@${u.commit.slice(0, 12)}`);
      this.s.activity('info', null, `Cache limit: removed ${count(revisions.length, 'revision')} no slot uses (${megabytes(result.removedBytes)}): ${revisions.join(', ')}`);
    }
    const after = walk.totalBytes - result.removedBytes;
    if (after > limit) {
      this.s.activity('error', null, `Cache limit ${formatBytes(limit)} not reached: ${formatBytes(after)} stay, ${formatBytes(plan.inUseBytes)} of them the revisions slots use (kept, loaded or not)${after - plan.inUseBytes > 0 ? ` and ${formatBytes(after - plan.inUseBytes)} other files Modelbay does not remove (other programs' models, downloads in progress)` : ''}. Raise the limit or clear a slot.`, 'EMB-E139');
    }
    return { removedBytes: result.removedBytes, removed: result.removed };
  }
}
