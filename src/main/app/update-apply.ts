/**
 * Applying an update and rolling it back. The new commit is downloaded and verified beside
 * the old one by commit id (so `refs/<branch>` and the slot's files stay as they were until
 * the switch), through the artifact manager's download queue like any download: progress
 * labelled as the update, pause, resume, cancel, the same limits. Only then is the slot pinned to the new commit: persisted first, then applied
 * (unload, switch, load again when it was loaded). Any failure before the switch leaves the
 * slot exactly as it was; a reload that fails on the new files switches back.
 */
import { lstat, stat } from 'node:fs/promises';
import type { CatalogSlotView } from '../../shared/artifacts/artifacts.js';
import { ModelbayError, toModelbayError } from '../../shared/errors/errors.js';
import type { SlotSource } from '../../shared/settings/settings.js';
import type { SlotId } from '../../shared/slots/slots.js';
import { isBusy, type SlotState } from '../../shared/slots/state.js';
import { slotStateClause } from '../../shared/slots/state-words.js';
import { COMMIT_RE } from '../../shared/values/values.js';
import type { SlotHistory, UpdateResult } from '../../shared/artifacts/updates.js';
import type { HubCacheLayout } from '../core/artifacts/cache/hf-cache-layout.js';
import type { HubClient } from '../core/artifacts/hub/hub-client.js';
import type { ArtifactManager } from '../core/artifacts/manager/types.js';
import { cachedCommit } from '../core/artifacts/cache/revision-refs.js';
import type { SlotHistoryStore } from '../core/state/slot-history.js';
import type { SettingsStore } from '../core/state/settings-store.js';

export interface UpdateApplierDeps {
  artifacts: ArtifactManager;
  settings: SettingsStore;
  registry: {
    snapshot(slot: SlotId): { state: SlotState };
    load(slot: SlotId): Promise<unknown>;
    unload(slot: SlotId): Promise<void>;
    refreshEstimates(slots: readonly SlotId[]): void;
  };
  history: SlotHistoryStore;
  hub: () => Pick<HubClient, 'revisionCommit'>;
  layout: () => HubCacheLayout;
  now: () => number;
  /** The slot's settings or history changed: tell the dashboard (and re-check the slot's update). */
  changed: (slot: SlotId) => Promise<void>;
  activity: (slot: SlotId, kind: 'info' | 'error', message: string) => void;
}

/** The slot's model pinned to one commit, as a source the settings keep. */
function pinnedSource(view: CatalogSlotView, commit: string): SlotSource {
  const model = view.files.find((f) => f.role === 'model');
  if (!view.repo || !model) throw new ModelbayError('EMB-E118', `${view.slot} has no model to update.`, { slot: view.slot });
  const tokenizer = view.files.find((f) => f.role === 'tokenizer');
  return {
    repo: view.repo,
    revision: commit,
    model: model.path,
    externalData: view.files.filter((f) => f.role === 'external-data').map((f) => f.path),
    tokenizer: tokenizer?.path ?? null,
    pooling: view.pooling ?? 'mean',
    dims: view.dims,
  };
}

export class UpdateApplier {
  private readonly inFlight = new Set<SlotId>();

  constructor(private readonly d: UpdateApplierDeps) {}

  apply(slot: SlotId): Promise<UpdateResult> {
    return this.exclusive(slot, () => this.applyNow(slot));
  }

  rollback(slot: SlotId): Promise<UpdateResult> {
    return this.exclusive(slot, () => this.rollbackNow(slot));
  }

  private async exclusive<T>(slot: SlotId, fn: () => Promise<T>): Promise<T> {
    const state = this.d.registry.snapshot(slot).state;
    if (this.inFlight.has(slot) || isBusy(state)) {
      throw new ModelbayError('EMB-E138', `${this.inFlight.has(slot) ? `${slot} is already updating` : slotStateClause(slot, state)}: try again when it is done.`, { slot, state });
    }
    this.inFlight.add(slot);
    try {
      return await fn();
    } finally {
      this.inFlight.delete(slot);
    }
  }

  private async current(slot: SlotId): Promise<{ view: CatalogSlotView; repo: string; commit: string }> {
    const view = this.d.artifacts.catalog().find((c) => c.slot === slot);
    if (!view?.repo || !view.revision) throw new ModelbayError('EMB-E118', `${slot} has no model to update.`, { slot });
    const commit = await cachedCommit(this.d.layout(), view.repo, view.revision);
    if (commit === null) throw new ModelbayError('EMB-E135', `${slot} is not downloaded: download it first, there is nothing to update.`, { slot });
    return { view, repo: view.repo, commit };
  }

  private async applyNow(slot: SlotId): Promise<UpdateResult> {
    const { view, repo, commit } = await this.current(slot);
    const branch = this.branchOf(slot, repo, view.revision as string);
    const remote = await this.d.hub().revisionCommit(repo, branch);
    if (remote === commit) throw new ModelbayError('EMB-E135', `${slot} is up to date: ${branch} is still ${commit.slice(0, 12)}.`, { slot, commit });
    this.d.activity(slot, 'info', `${slot}: downloading ${repo}@${remote.slice(0, 12)} beside ${commit.slice(0, 12)}…`);
    try {
      // By commit id: the downloader then leaves refs/<branch>, and so the slot's files, alone.
      await this.d.artifacts.downloadRevision(slot, { kind: 'update', from: commit, to: remote });
    } catch (e) {
      const err = toModelbayError(e);
      const cancelled = err.code === 'EMB-E114';
      this.d.activity(slot, cancelled ? 'info' : 'error', `${slot}: the update ${cancelled ? 'was stopped' : `failed (${err.code})`}; it stays on ${commit.slice(0, 12)}.`);
      throw new ModelbayError('EMB-E136', `${slot}'s update to ${remote.slice(0, 12)} ${cancelled ? 'did not finish' : 'failed'}: ${err.message} The slot is unchanged.`, { slot, from: commit, to: remote, cause: err.code });
    }
    const fetchedAt = this.d.now();
    const history = this.d.history.activated(slot, repo, branch, await this.previousEntry(slot, repo, commit, view.files[0]?.path ?? 'model.onnx'), remote, fetchedAt, fetchedAt);
    return this.switchTo(slot, view, commit, remote, history);
  }

  private async rollbackNow(slot: SlotId): Promise<UpdateResult> {
    const { view, repo, commit } = await this.current(slot);
    const entries = this.d.history.get(slot)?.repo === repo ? (this.d.history.get(slot)?.entries ?? []) : [];
    const target = [...entries].reverse().find((e) => e.commit !== commit);
    if (!target) throw new ModelbayError('EMB-E137', `${slot} has no earlier revision to go back to.`, { slot });
    for (const f of view.files) {
      const present = await stat(this.d.layout().snapshotPath(repo, target.commit, f.path)).then((s) => s.isFile(), () => false);
      if (!present) throw new ModelbayError('EMB-E134', `${slot}'s earlier revision ${target.commit.slice(0, 12)} is no longer on disk (${f.path} is missing).`, { slot, commit: target.commit, path: f.path });
    }
    const history = this.d.history.activated(slot, repo, this.branchOf(slot, repo, view.revision as string), await this.previousEntry(slot, repo, commit, view.files[0]?.path ?? 'model.onnx'), target.commit, null, this.d.now());
    return this.switchTo(slot, view, commit, target.commit, history);
  }

  /** What the slot follows: its own branch, or the one it followed before an update pinned it (else main, as the check does). */
  private branchOf(slot: SlotId, repo: string, revision: string): string {
    if (!COMMIT_RE.test(revision)) return revision;
    const h = this.d.history.get(slot);
    return (h?.repo === repo ? h.branch : undefined) ?? 'main';
  }

  /** The revision in use now, as history knows it (or first seen: fetched when its snapshot was written). */
  private async previousEntry(slot: SlotId, repo: string, commit: string, firstFile: string): Promise<{ commit: string; fetchedAt: number | null; activatedAt: number | null }> {
    const known = this.d.history.get(slot)?.entries.find((e) => e.commit === commit);
    if (known && this.d.history.get(slot)?.repo === repo) return known;
    // The snapshot link was written when its file arrived.
    const fetchedAt = await lstat(this.d.layout().snapshotPath(repo, commit, firstFile)).then((s) => s.mtimeMs, () => null);
    return { commit, fetchedAt: fetchedAt === null ? null : Math.round(fetchedAt), activatedAt: null };
  }

  /** Persist, then apply; a step that fails puts back what was already changed. */
  private async switchTo(slot: SlotId, view: CatalogSlotView, from: string, to: string, history: SlotHistory): Promise<UpdateResult> {
    const before = this.d.settings.get().slots[slot]?.source ?? null;
    const source = pinnedSource(view, to);
    const wasLoaded = this.d.registry.snapshot(slot).state === 'loaded';
    const historyBefore = this.d.history.get(slot);
    await this.d.settings.updateSlot(slot, { source });
    try {
      await this.d.history.save(history);
    } catch (e) {
      await this.d.settings.updateSlot(slot, { source: before }).catch(() => undefined);
      throw e;
    }
    try {
      await this.swapFiles(slot, source, wasLoaded);
    } catch (e) {
      const err = toModelbayError(e);
      await this.d.settings.updateSlot(slot, { source: before }).catch(() => undefined);
      if (historyBefore) await this.d.history.save(historyBefore).catch(() => undefined);
      await this.swapFiles(slot, before, wasLoaded).catch(() => undefined);
      await this.d.changed(slot);
      this.d.activity(slot, 'error', `${slot}: ${to.slice(0, 12)} did not load (${err.code}); back on ${from.slice(0, 12)}.`);
      throw new ModelbayError('EMB-E136', `${slot} could not switch to ${to.slice(0, 12)}: ${err.message} It is back on ${from.slice(0, 12)}.`, { slot, from, to, cause: err.code });
    }
    await this.d.changed(slot);
    this.d.activity(slot, 'info', `${slot} now uses ${view.repo ?? ''}@${to.slice(0, 12)} (was ${from.slice(0, 12)}).`);
    return { slot, from, to, reloaded: wasLoaded, history };
  }

  /**
   * The source switches first, while a loaded session goes on serving from the old
   * snapshot (still on disk): any load from here on, ours or one a request starts while
   * the slot is unloaded, opens the new files.
   */
  private async swapFiles(slot: SlotId, source: SlotSource | null, reload: boolean): Promise<void> {
    this.d.artifacts.setSlotSource(slot, source);
    await this.d.artifacts.readiness();
    if (this.d.registry.snapshot(slot).state === 'loaded') await this.d.registry.unload(slot);
    this.d.registry.refreshEstimates([slot]);
    if (reload) await this.d.registry.load(slot);
  }
}
