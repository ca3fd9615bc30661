/**
 * Per-file progress for the UI: at most one byte update per 100 ms (10 per second), one
 * event on every phase change, and a smoothed speed with an ETA.
 */
import type { DownloadPhase, RetryNotice } from '../../../../shared/artifacts/artifacts.js';

export interface FileProgressUpdate {
  phase: DownloadPhase;
  bytes: number;
  total: number | null;
  speedBps: number;
  etaSeconds: number | null;
  /** Set while the downloader waits to try again, so a retry does not look like a stall. */
  retry: RetryNotice | null;
}

const MIN_INTERVAL_MS = 100;
/** Weight of the newest speed sample: about a second of memory at 10 samples/s. */
const ALPHA = 0.2;

export class ProgressReporter {
  private phaseNow: DownloadPhase | null = null;
  private bytesNow = 0;
  private totalNow: number | null = null;
  private lastEmit = -Infinity;
  private sampleAt: number | null = null;
  private sampleBytes = 0;
  private speed = 0;
  private retryNow: RetryNotice | null = null;

  constructor(private readonly listener: ((p: FileProgressUpdate) => void) | undefined, private readonly now: () => number) {}

  get phase(): DownloadPhase | null {
    return this.phaseNow;
  }

  setTotal(total: number | null): void {
    this.totalNow = total;
  }

  enter(phase: DownloadPhase): void {
    if (phase === this.phaseNow) return;
    this.phaseNow = phase;
    this.retryNow = null;
    if (phase !== 'downloading') this.speed = 0;
    this.sampleAt = null;
    this.emit();
  }

  /** Bytes present so far (including a resumed prefix); throttled. */
  bytes(bytes: number): void {
    const t = this.now();
    if (this.sampleAt === null) {
      this.sampleAt = t;
      this.sampleBytes = bytes;
    }
    // Bytes flowing again means the retry worked; the same offset re-reported does not.
    if (this.retryNow !== null && bytes > this.bytesNow) this.retryNow = null;
    this.bytesNow = bytes;
    if (t - this.lastEmit < MIN_INTERVAL_MS) return;
    const dt = (t - this.sampleAt) / 1000;
    if (dt > 0) {
      const rate = Math.max(0, bytes - this.sampleBytes) / dt;
      this.speed = this.speed === 0 ? rate : ALPHA * rate + (1 - ALPHA) * this.speed;
      this.sampleAt = t;
      this.sampleBytes = bytes;
    }
    this.emit();
  }

  /** Always sent, throttle or not: the user must see that a wait has begun. */
  retrying(notice: RetryNotice): void {
    this.retryNow = notice;
    this.emit();
  }

  private emit(): void {
    this.lastEmit = this.now();
    if (!this.listener || this.phaseNow === null) return;
    const total = this.totalNow;
    const eta = total !== null && this.speed > 0 && this.phaseNow === 'downloading' ? Math.max(0, (total - this.bytesNow) / this.speed) : null;
    try {
      this.listener({ phase: this.phaseNow, bytes: this.bytesNow, total, speedBps: Math.round(this.speed), etaSeconds: eta === null ? null : Math.round(eta * 10) / 10, retry: this.retryNow });
    } catch {
      // A listener's bug must not fail the download.
    }
  }
}
