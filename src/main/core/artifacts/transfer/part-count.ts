/**
 * How many Range parts a large file is fetched with, found while it downloads rather than
 * fixed in advance: one part first, then twice as many every ~500 ms as long as each step
 * raises the total throughput by at least 10 %; the first count that does not pay is kept.
 * Doubling, not one more at a time: on a link that caps each connection, a 160 MiB file
 * took twice as long growing by one part per window as with four parts from the start.
 * A link one connection already fills stays at one part (no extra connections, sockets
 * and disk seeks for nothing); a link that caps each connection (a CDN, a proxy) gets as
 * many parts as help, up to the configured maximum. No part is split below 16 MiB.
 */

export interface PartGrowth {
  /** How long each part count is measured before the next decision. */
  everyMs: number;
  /** The throughput gain (0.1 = 10 %) a step must bring for the next one to be tried. */
  minGain: number;
  /** A part is only split when both halves are at least this large. */
  minPartBytes: number;
}

export const PART_GROWTH: PartGrowth = { everyMs: 500, minGain: 0.1, minPartBytes: 16 << 20 };

/**
 * The decision, fed one throughput figure per window (bytes per second over the last
 * window at the current count). Pure: the caller measures and splits.
 */
export class PartCounter {
  private best: number | null = null;
  private settled = false;
  private count: number;

  constructor(start: number, private readonly max: number, private readonly minGain: number) {
    this.count = Math.max(1, Math.min(start, max));
    if (this.count >= max) this.settled = true;
  }

  /** The number of parts to run now. */
  get target(): number {
    return this.count;
  }

  /** True once the count no longer changes. */
  get done(): boolean {
    return this.settled;
  }

  /** The throughput of the window just measured at `target` parts; answers the count to run next. */
  next(bps: number): number {
    if (this.settled) return this.count;
    if (this.best !== null && bps - this.best < this.best * this.minGain) {
      this.settled = true;
      return this.count;
    }
    this.best = bps;
    this.count = Math.min(this.max, this.count * 2);
    if (this.count >= this.max) this.settled = true;
    return this.count;
  }

  /** No part can be split any more (all too small): keep the count that runs. */
  settle(running: number): void {
    this.count = Math.max(1, Math.min(this.count, running));
    this.settled = true;
  }
}
