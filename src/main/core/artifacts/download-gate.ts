/** A counting gate for the number of files downloading at once; the limit can change live. */
import { ModelbayError } from '../../../shared/errors.js';

export class DownloadGate {
  private active = 0;
  private readonly waiting: Array<{ go: () => void }> = [];

  constructor(private limitNow: number) {}

  setLimit(limit: number): void {
    this.limitNow = Math.max(1, Math.floor(limit));
    this.pump();
  }

  get limit(): number {
    return this.limitNow;
  }

  /** Whether a caller would have to wait right now. */
  get full(): boolean {
    return this.active >= this.limitNow;
  }

  async run<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    await this.enter(signal);
    try {
      return await fn();
    } finally {
      this.active -= 1;
      this.pump();
    }
  }

  private enter(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new ModelbayError('EMB-E114', 'Download cancelled.', {}));
    if (this.active < this.limitNow && this.waiting.length === 0) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolveEnter, reject) => {
      const entry = {
        go: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active += 1;
          resolveEnter();
        },
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new ModelbayError('EMB-E114', 'Download cancelled.', {}));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private pump(): void {
    while (this.active < this.limitNow && this.waiting.length > 0) this.waiting.shift()?.go();
  }
}
