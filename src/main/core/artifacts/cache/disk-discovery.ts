/**
 * Keeps the picture of what is on disk: scans the HF cache and the user's model folders
 * in the background (one scan at a time; a request during a scan runs one more after it,
 * so the newest request always sees the newest disk), says which slot uses which model,
 * and deletes a repository revision without touching what others still use.
 */
import type { DiskModel, DiskScanReport, DiskView } from '../../../../shared/artifacts/discovery.js';
import { ModelbayError, toModelbayError } from '../../../../shared/errors/errors.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import { removeSnapshotFiles, type RemovalResult } from './snapshot-removal.js';
import { scanHubCache } from './cache-scan.js';
import { HubCacheLayout } from './hf-cache-layout.js';
import { scanLocalFolder } from './local-folders.js';
import { cachedCommit } from './revision-refs.js';
import { unrefTimers, type Timers } from '../../async/timers.js';

/** What a slot points at now, as the catalog view tells it. */
export interface SlotModelRef {
  slot: SlotId;
  repo: string | null;
  revision: string | null;
  /** The .onnx path in the repository. */
  model: string | null;
}

export interface DiskDiscoveryOptions {
  cacheDir: () => string;
  localFolders: () => readonly string[];
  slotModels: () => SlotModelRef[];
  onChange: (view: DiskView) => void;
  now?: () => number;
  /** For scanSoon's wait (tests drive time). */
  timers?: Timers;
  /** How long scanSoon lets changes gather before it scans (default 1 s). */
  settleMs?: number;
}

export class DiskDiscovery {
  private report: DiskScanReport | null = null;
  private error: string | null = null;
  private running: Promise<DiskScanReport> | null = null;
  private again: Promise<DiskScanReport> | null = null;
  private soon: unknown = null;
  private closed = false;
  private readonly now: () => number;
  private readonly timers: Timers;

  constructor(private readonly options: DiskDiscoveryOptions) {
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? unrefTimers;
  }

  view(): DiskView {
    return { scanning: this.running !== null, report: this.report, error: this.error };
  }

  /** Start a scan in the background; its outcome arrives through onChange. */
  scanInBackground(): void {
    if (this.closed) return;
    this.scan().catch(() => undefined);
  }

  /**
   * Files in the cache changed (a download finished, a slot's files were deleted): scan
   * once the changes have gathered for `settleMs`. Ten downloads finishing together cost
   * one scan; the wait is never pushed back, so a steady stream of changes still scans.
   */
  scanSoon(): void {
    if (this.soon !== null || this.closed) return;
    this.soon = this.timers.setTimeout(() => {
      this.soon = null;
      this.scanInBackground();
    }, this.options.settleMs ?? 1000);
  }

  /** No scan starts after this (a running one finishes on its own). */
  close(): void {
    this.closed = true;
    if (this.soon !== null) this.timers.clearTimeout(this.soon);
    this.soon = null;
  }

  /** Resolves with a report taken after this call. */
  scan(): Promise<DiskScanReport> {
    if (this.running) {
      this.again ??= this.running.catch(() => undefined).then(() => {
        this.again = null;
        return this.scan();
      });
      return this.again;
    }
    const run = this.scanNow().finally(() => {
      this.running = null;
      this.options.onChange(this.view());
    });
    this.running = run;
    this.options.onChange(this.view());
    return run;
  }

  private async scanNow(): Promise<DiskScanReport> {
    const started = performance.now();
    const cacheDir = this.options.cacheDir();
    try {
      const cache = await scanHubCache(cacheDir);
      const folders = await Promise.all([...new Set(this.options.localFolders())].map((f) => scanLocalFolder(f)));
      const models = [...cache.models, ...folders.flatMap((f) => f.models)].map((m) => ({ ...m, usedBy: [] as SlotId[] }));
      const warnings = [...cache.warnings, ...folders.filter((f) => f.report.warning).map((f) => `${f.report.folder}: ${f.report.warning ?? ''}`)];
      const report: DiskScanReport = {
        at: this.now(), cacheDir, computeMs: 0, repos: cache.repos, localFolders: folders.map((f) => f.report), models, totalBytes: cache.totalBytes, warnings,
      };
      await this.markUsage(report);
      report.computeMs = performance.now() - started;
      this.report = report;
      this.error = null;
      return report;
    } catch (e) {
      this.error = toModelbayError(e).message;
      throw e;
    }
  }

  /** Slots changed their source: say again who uses what, without rescanning. */
  async refreshUsage(): Promise<void> {
    if (!this.report) return;
    await this.markUsage(this.report);
    this.options.onChange(this.view());
  }

  private async markUsage(report: DiskScanReport): Promise<void> {
    const byKey = new Map<string, DiskModel>(report.models.map((m) => [`${m.repo ?? ''}@${m.commit ?? ''}:${m.model}`, m]));
    for (const m of report.models) m.usedBy = [];
    for (const ref of await this.resolvedSlotModels(report.cacheDir)) {
      byKey.get(`${ref.repo}@${ref.commit}:${ref.model}`)?.usedBy.push(ref.slot);
    }
  }

  /** Each slot's repository and the commit its revision stands for in the cache now. */
  private async resolvedSlotModels(cacheDir: string): Promise<Array<{ slot: SlotId; repo: string; commit: string; model: string | null }>> {
    const layout = new HubCacheLayout(cacheDir);
    const out: Array<{ slot: SlotId; repo: string; commit: string; model: string | null }> = [];
    for (const ref of this.options.slotModels()) {
      if (!ref.repo || !ref.revision) continue;
      try {
        const commit = await cachedCommit(layout, ref.repo, ref.revision);
        if (commit) out.push({ slot: ref.slot, repo: ref.repo, commit, model: ref.model });
      } catch {
        // A revision name the layout refuses cannot be in the cache.
      }
    }
    return out;
  }

  /** Slots whose model (whatever file of it) comes from this revision. */
  async slotsUsing(repo: string, commit: string): Promise<SlotId[]> {
    const cacheDir = this.report?.cacheDir ?? this.options.cacheDir();
    return (await this.resolvedSlotModels(cacheDir)).filter((r) => r.repo === repo && r.commit === commit).map((r) => r.slot);
  }

  find(id: string): DiskModel | null {
    return this.report?.models.find((m) => m.id === id) ?? null;
  }

  /**
   * Remove one revision of a repository: its snapshot, the refs that name it and the
   * blobs no other snapshot links to. `busy` names the slots that must not lose it.
   */
  async deleteRevision(repo: string, commit: string, busy: readonly SlotId[]): Promise<RemovalResult> {
    if (busy.length > 0) {
      throw new ModelbayError('EMB-E132', `${repo}@${commit.slice(0, 12)} is in use by ${busy.join(', ')}: unload ${busy.length === 1 ? 'it' : 'them'} first.`, { repo, commit, slots: [...busy] });
    }
    const report = await this.scan();
    const revision = report.repos.find((r) => r.repo === repo)?.revisions.find((r) => r.commit === commit);
    if (!revision) {
      throw new ModelbayError('EMB-E134', `${repo}@${commit.slice(0, 12)} is not in the cache (${report.cacheDir}).`, { repo, commit });
    }
    const layout = new HubCacheLayout(report.cacheDir);
    const result = await removeSnapshotFiles(layout, revision.files.map((f) => ({ repo, commit, path: f.path })));
    await this.scan();
    return result;
  }
}
