/**
 * curl's --speed-limit/--speed-time for one attempt: fewer than `limitBps` bytes per
 * second over `windowMs` fails the attempt, so a 1 B/s drip cannot stay "running" for
 * days. The idle timeout already catches a transfer that sends nothing at all.
 */
export interface LowSpeedLimit {
  /** 0 turns the check off. */
  limitBps: number;
  windowMs: number;
}

export class LowSpeedGuard {
  private windowStart: number;
  private windowBytes = 0;

  constructor(private readonly limit: LowSpeedLimit | null, private readonly now: () => number) {
    this.windowStart = now();
  }

  /** `received`: bytes of this attempt so far. True when the last full window was too slow. */
  tooSlow(received: number): boolean {
    if (this.limit === null || this.limit.limitBps <= 0) return false;
    const t = this.now();
    const elapsed = t - this.windowStart;
    if (elapsed < this.limit.windowMs) return false;
    const rate = ((received - this.windowBytes) * 1000) / elapsed;
    if (rate < this.limit.limitBps) return true;
    this.windowStart = t;
    this.windowBytes = received;
    return false;
  }
}
