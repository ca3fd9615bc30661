/**
 * How the running layout differs from a lockfile: per slot, the model (repository, commit,
 * files), its device, alias, pin, preload, pooling and dims. Used by the restore preview
 * (what restoring would change) and by the dashboard's badge (what changed since the last
 * lockfile). Pure: the caller resolves each slot's commit from the cache first.
 */
import type { LayoutChange, LockedSlot, Lockfile } from '../../../shared/layouts/layouts.js';
import { COMMIT_RE } from '../../../shared/values/values.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import type { LayoutSlot } from './lock-build.js';

/** A slot as it runs now, with the commit its revision stands for in the cache (null = not there). */
export interface CurrentSlot extends LayoutSlot {
  commit: string | null;
}

function modelLabel(repo: string, revision: string): string {
  return `${repo}@${COMMIT_RE.test(revision) ? revision.slice(0, 12) : revision}`;
}

/** The files that make the model (a restored slot runs them; config files ride along in the cache). */
const RUNS = new Set(['model', 'external-data', 'tokenizer']);

function samePaths(a: ReadonlyArray<{ path: string; role: string }>, b: ReadonlyArray<{ path: string; role: string }>): boolean {
  const x = a.filter((f) => RUNS.has(f.role)).map((f) => f.path).sort();
  const y = b.filter((f) => RUNS.has(f.role)).map((f) => f.path).sort();
  return x.length === y.length && x.every((p, i) => p === y[i]);
}

export function slotChanges(cur: CurrentSlot | null, locked: LockedSlot, device: string = locked.device): LayoutChange[] {
  const out: LayoutChange[] = [];
  const to = modelLabel(locked.repo, locked.revision);
  if (!cur) return [{ field: 'model', from: null, to }];
  if (cur.repo !== locked.repo || cur.commit !== locked.revision || !samePaths(cur.files, locked.files)) {
    out.push({ field: 'model', from: modelLabel(cur.repo, cur.commit ?? cur.revision), to });
  }
  if (cur.pooling !== locked.pooling) out.push({ field: 'pooling', from: cur.pooling, to: locked.pooling });
  if (locked.dims !== null && cur.dims !== locked.dims) out.push({ field: 'dims', from: cur.dims, to: locked.dims });
  if (cur.device !== device) out.push({ field: 'device', from: cur.device, to: device });
  if (cur.alias !== locked.alias) out.push({ field: 'alias', from: cur.alias, to: locked.alias });
  if (cur.pinned !== locked.pinned) out.push({ field: 'pinned', from: cur.pinned, to: locked.pinned });
  if (cur.preload !== locked.preload) out.push({ field: 'preload', from: cur.preload, to: locked.preload });
  return out;
}

const show = (v: LayoutChange['from']): string => (v === null ? '—' : String(v));

/** One line per difference between the running layout and a lockfile (`scope` null: slots it lacks count too). */
export function layoutDifferences(current: ReadonlyArray<CurrentSlot>, lock: Lockfile, scope: readonly SlotId[] | null): string[] {
  const lines: string[] = [];
  for (const locked of lock.slots) {
    const cur = current.find((c) => c.slot === locked.slot) ?? null;
    lines.push(...slotChanges(cur, locked).map((c) => `${locked.slot} ${c.field}: now ${show(c.from)}, locked ${show(c.to)}`));
  }
  if (scope === null) {
    for (const cur of current) {
      if (cur.commit !== null && !lock.slots.some((s) => s.slot === cur.slot)) lines.push(`${cur.slot} ${modelLabel(cur.repo, cur.commit)} is not in the lockfile`);
    }
  }
  return lines;
}
