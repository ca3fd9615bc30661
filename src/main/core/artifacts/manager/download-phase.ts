/**
 * A slot's download phase from its files' (issue #10): a slot whose files all wait for
 * a download slot reads "queued", not "downloading 0 B"; once one file moves, the slot
 * is downloading. The manager owns pause, cancel and failure; this only reads files.
 */
import type { DownloadPhase, FileProgress } from '../../../../shared/artifacts/artifacts.js';

const MOVING: ReadonlySet<DownloadPhase> = new Set(['resolving', 'downloading', 'verifying']);

/** The phase of a running slot download, given its current phase and its files. */
export function runningSlotPhase(current: DownloadPhase, files: readonly FileProgress[]): DownloadPhase {
  if (current !== 'queued' && current !== 'resolving' && current !== 'downloading') return current;
  const open = files.filter((f) => f.phase !== 'done');
  if (open.some((f) => f.phase === 'downloading' || f.phase === 'verifying')) return 'downloading';
  if (open.some((f) => MOVING.has(f.phase))) return current === 'downloading' ? 'downloading' : 'resolving';
  if (open.length > 0 && open.every((f) => f.phase === 'queued')) return 'queued';
  return current;
}

/** Files a failed download stopped: they read failed and still, never as moving bars. */
export function stopFiles(files: FileProgress[], phase: 'failed' | 'paused'): void {
  for (const f of files) {
    if (f.phase === 'done') continue;
    Object.assign(f, { phase, speedBps: 0, etaSeconds: null, retry: null });
  }
}
