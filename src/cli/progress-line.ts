/** One terminal line of download progress, redrawn in place (at most 10 times a second). */
import { revisionLabel, type SlotDownloadProgress } from '../shared/artifacts/artifacts.js';
import { formatBytes } from '../shared/values/bytes.js';

const WIDTH = 30;

export class ProgressLine {
  private last = 0;
  private drawn = false;

  constructor(private readonly write: (text: string) => void, private readonly now: () => number = Date.now) {}

  show(downloads: SlotDownloadProgress[]): void {
    const t = this.now();
    if (t - this.last < 100) return;
    this.last = t;
    const bytes = downloads.reduce((n, d) => n + d.bytes, 0);
    const total = downloads.reduce((n, d) => n + (d.total ?? d.bytes), 0);
    const speed = downloads.reduce((n, d) => n + d.speedBps, 0);
    const ratio = total > 0 ? Math.min(1, bytes / total) : 0;
    const filled = Math.round(ratio * WIDTH);
    const eta = downloads.reduce((m, d) => Math.max(m, d.etaSeconds ?? 0), 0);
    const phases = downloads.map((d) => [d.slot, revisionLabel(d), d.phase].filter(Boolean).join(' ')).join(', ');
    this.write(`\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${formatBytes(bytes)}/${formatBytes(total)} ${formatBytes(speed)}/s ETA ${Math.round(eta)}s · ${phases}\x1b[K`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.write('\n');
  }
}
