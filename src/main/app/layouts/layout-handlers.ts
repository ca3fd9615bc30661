/**
 * The layout commands: lock the running layout, verify a lockfile against the HF cache,
 * preview and run a restore, the drift badge's status, and the Triton / KServe export.
 * The App hands in what they need (registry, artifacts, settings, the other commands for
 * pins, devices and aliases); nothing here reaches back into it.
 */
import { access } from 'node:fs/promises';
import type { CommandArgs, CommandResults } from '../../../shared/contract/api.js';
import { ModelbayError } from '../../../shared/errors/errors.js';
import type { Lockfile, RestorePreviewSlot } from '../../../shared/layouts/layouts.js';
import { servingKind } from '../../../shared/slots/serving.js';
import { SLOT_IDS, type SlotId } from '../../../shared/slots/slots.js';
import { isBusy } from '../../../shared/slots/state.js';
import { slotStateClause } from '../../../shared/slots/state-words.js';
import { HubCacheLayout } from '../../core/artifacts/cache/hf-cache-layout.js';
import { cachedCommit } from '../../core/artifacts/cache/revision-refs.js';
import type { LastLockStore } from '../../core/layouts/last-lock.js';
import { layoutDifferences, slotChanges, type CurrentSlot } from '../../core/layouts/layout-diff.js';
import { writeExport } from '../../core/layouts/layout-export.js';
import { buildLock, verifyLock, verifyLockedSlot, type LayoutSlot } from '../../core/layouts/lock-build.js';
import { parseLockfile } from '../../../shared/layouts/layouts.js';
import { LayoutRestorer, type RestoreDeps } from './layout-restore.js';

type LayoutCommand = 'lockLayout' | 'verifyLock' | 'previewRestore' | 'restoreLock' | 'layoutStatus' | 'exportLayout';
export type LayoutHandlers = { [K in LayoutCommand]: (args: CommandArgs<K>) => Promise<CommandResults[K]> };

export interface LayoutHandlerDeps extends RestoreDeps {
  lastLock: LastLockStore;
  version: () => string;
  now: () => number;
}

/** The slots of the running layout that have a model (the device is the one the user chose, else where it runs). */
export function runningLayout(d: Pick<LayoutHandlerDeps, 'artifacts' | 'registry' | 'settings'>): LayoutSlot[] {
  const settings = d.settings.get();
  return d.artifacts.catalog().flatMap((view): LayoutSlot[] => {
    if (!view.repo || !view.revision) return [];
    const snap = d.registry.snapshot(view.slot);
    const own = settings.slots[view.slot];
    return [{
      slot: view.slot, repo: view.repo, revision: view.revision, files: view.files.map((f) => ({ path: f.path, role: f.role })),
      variant: view.variant, pooling: view.pooling, dims: view.dims,
      device: own?.device ?? snap.device, alias: own?.alias ?? null, pinned: snap.pinned, preload: snap.preload,
    }];
  });
}

export function createLayoutHandlers(d: LayoutHandlerDeps): LayoutHandlers {
  const layout = (): HubCacheLayout => new HubCacheLayout(d.cacheDir());
  const restorer = new LayoutRestorer(d);
  const only = (slots: SlotId[] | undefined): SlotId[] | null => slots ?? null;
  const scoped = (lock: Lockfile, slots: SlotId[] | undefined): Lockfile => {
    if (!slots) return lock;
    const absent = slots.filter((s) => !lock.slots.some((l) => l.slot === s));
    if (absent.length > 0) throw new ModelbayError('EMB-E150', `The lockfile does not lock ${absent.join(', ')}.`, { slots: absent });
    return { ...lock, slots: lock.slots.filter((s) => slots.includes(s.slot)) };
  };

  /** The running layout with each ready slot's commit (slots not fully on disk count as absent). */
  const current = async (): Promise<CurrentSlot[]> => {
    const ready = new Set((await d.artifacts.readiness()).slots.filter((r) => r.status === 'ready').map((r) => r.slot));
    const l = layout();
    return Promise.all(runningLayout(d).map(async (s) => ({ ...s, commit: ready.has(s.slot) ? await cachedCommit(l, s.repo, s.revision) : null })));
  };

  const lockNow = async (slots: SlotId[] | undefined): Promise<CommandResults['lockLayout']> => {
    const wanted = runningLayout(d).filter((s) => !slots || slots.includes(s.slot));
    const result = await buildLock(wanted, layout(), { version: d.version(), now: new Date(d.now()) });
    for (const s of slots ?? []) {
      if (!wanted.some((w) => w.slot === s)) result.skipped.push({ slot: s, reason: 'the slot has no model' });
    }
    if (result.lock.slots.length === 0) {
      throw new ModelbayError('EMB-E151', `No slot has all of its files on disk, so there is nothing to lock${result.skipped.length ? ` (${result.skipped.map((s) => `${s.slot}: ${s.reason}`).slice(0, 4).join('; ')})` : ''}.`, { skipped: result.skipped });
    }
    return result;
  };

  return {
    lockLayout: async ({ slots }) => {
      const result = await lockNow(slots);
      await d.lastLock.record('written', result.lock, only(slots), d.now());
      d.activity(null, 'info', `Layout locked: ${result.lock.slots.map((s) => s.slot).join(', ')}${result.skipped.length ? ` (skipped ${result.skipped.map((s) => s.slot).join(', ')})` : ''}.`);
      return result;
    },
    verifyLock: async ({ lock, slots }) => {
      const parsed = scoped(parseLockfile(lock), slots);
      return verifyLock(parsed, layout());
    },
    previewRestore: async ({ lock, slots }) => {
      const parsed = scoped(parseLockfile(lock), slots);
      const cur = await current();
      const l = layout();
      const out: RestorePreviewSlot[] = [];
      for (const s of parsed.slots) {
        const fallback = restorer.deviceFor(s.device);
        let downloadBytes = 0;
        for (const f of s.files) {
          const there = await access(l.snapshotPath(s.repo, s.revision, f.path)).then(() => true, () => false);
          if (!there) downloadBytes += f.size;
        }
        const state = d.registry.snapshot(s.slot).state;
        out.push({
          slot: s.slot,
          changes: slotChanges(cur.find((c) => c.slot === s.slot) ?? null, s, s.device),
          downloadBytes,
          deviceFallback: fallback === s.device ? null : { wanted: s.device, used: fallback },
          blocked: isBusy(state) ? new ModelbayError('EMB-E007', `${slotStateClause(s.slot, state)}: restore it when that is done.`, { slot: s.slot, state }).toJSON() : null,
        });
      }
      return {
        slots: out,
        downloadBytes: out.reduce((n, s) => n + s.downloadBytes, 0),
        untouched: SLOT_IDS.filter((id) => !parsed.slots.some((s) => s.slot === id)),
      };
    },
    restoreLock: async ({ lock, slots }) => {
      const parsed = scoped(parseLockfile(lock), slots);
      const result = await restorer.restore(parsed);
      const restored = parsed.slots.filter((s) => result.slots.find((r) => r.slot === s.slot)?.ok);
      if (restored.length > 0) {
        // Recorded as applied here (a device this machine lacks is still the one wanted), so the badge compares like with like.
        await d.lastLock.record('restored', { ...parsed, slots: restored }, restored.map((s) => s.slot), d.now());
      }
      return result;
    },
    layoutStatus: async () => {
      const last = await d.lastLock.get();
      if (!last) return { last: null, differs: false, differences: [] };
      const differences = layoutDifferences(await current(), last.lock, last.scope);
      return {
        last: { createdAt: last.lock.createdAt, recordedAt: last.recordedAt, how: last.how, slots: last.lock.slots.map((s) => s.slot) },
        differs: differences.length > 0,
        differences,
      };
    },
    exportLayout: async ({ target, dir, slots, lock, storageUri }) => {
      const l = layout();
      let exported: Lockfile;
      if (lock !== undefined) {
        exported = scoped(parseLockfile(lock), slots);
        // The verified bytes only: every file must match the lockfile before it is exported.
        const bad: string[] = [];
        for (const s of exported.slots) {
          const v = await verifyLockedSlot(s, l);
          if (!v.ok) bad.push(...v.files.filter((f) => !f.ok).map((f) => `${s.slot} ${f.path}: ${f.problem === 'missing' ? 'missing' : `${f.problem ?? 'sha256'} differs`}`));
        }
        if (bad.length > 0) throw new ModelbayError('EMB-E108', `The cache does not hold the locked bytes: ${bad.slice(0, 6).join('; ')}. Run \`modelbay lock restore\` first.`, { problems: bad });
      } else {
        exported = (await lockNow(slots)).lock;
      }
      const result = await writeExport({ target, dir, storageUri, lock: exported, layout: l, kindOf: (s) => servingKind(s.slot, s.pooling) });
      d.activity(null, 'info', `Exported ${result.models.map((m) => m.name).join(', ')} to ${result.dir} (${target}).`);
      return result;
    },
  };
}
