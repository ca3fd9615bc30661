/**
 * Counts what each slot's requests did (uses, texts, latency, failures in a row) and
 * derives its health from them. Pure bookkeeping with an injected clock: the App feeds
 * it from the embed path and the health probe.
 */
import { toModelbayError, type ErrorCode } from '../../../shared/errors/errors.js';
import { REFUSED_REQUEST_CODES } from '../../../shared/serving/serving-requests.js';
import { SLOT_IDS, type SlotId } from '../../../shared/slots/slots.js';
import { UNHEALTHY_AFTER, type ProbeResult, type SlotUsage, type UsageHealth } from '../../../shared/slots/usage.js';

/**
 * Refusals about capacity, Modelbay's own state or the request itself (a body the session
 * host refused: bad JSON, too many inputs, a token id outside the vocabulary, an input too
 * long, too many dimensions), not about the model: no mark against its health.
 */
const NOT_THE_MODEL: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['EMB-E003', 'EMB-E007', 'EMB-E009', 'EMB-E010', ...REFUSED_REQUEST_CODES]);

/** Latencies kept per slot for the p95. */
export const LATENCY_WINDOW = 512;

interface Entry {
  usage: SlotUsage;
  totalMs: number;
  recent: number[];
  /** usage.p95Ms no longer covers `recent`: sorted again when someone reads it, not per request. */
  p95Stale: boolean;
}

/** Successes of a healthy slot are told at most this often (serving can finish thousands a second). */
export const SUCCESS_NOTICE_MS = 100;

export interface UsageTrackerOptions {
  now: () => number;
  /** A monotonic clock for durations (ms). */
  elapsed?: () => number;
  onChange?: (usage: SlotUsage) => void;
}

function healthOf(consecutive: number, anyOutcome: boolean): UsageHealth {
  if (!anyOutcome) return 'unknown';
  if (consecutive === 0) return 'healthy';
  return consecutive >= UNHEALTHY_AFTER ? 'unhealthy' : 'degraded';
}

/** The nearest-rank p95 of a list (no interpolation: a figure that really happened). */
export function p95(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? null;
}

export class UsageTracker {
  private readonly entries = new Map<SlotId, Entry>();
  private readonly elapsed: () => number;
  private readonly unsaid = new Set<Entry>();
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: UsageTrackerOptions) {
    this.elapsed = options.elapsed ?? (() => performance.now());
    for (const slot of SLOT_IDS) {
      this.entries.set(slot, {
        totalMs: 0,
        recent: [],
        p95Stale: false,
        usage: {
          slot, health: 'unknown', consecutiveFailures: 0, lastError: null, lastErrorAt: null, lastUsedAt: null,
          uses: 0, failures: 0, texts: 0, meanMs: null, p95Ms: null, lastProbe: null,
        },
      });
    }
  }

  view(slot: SlotId): SlotUsage {
    return this.current(this.entries.get(slot) as Entry);
  }

  views(): SlotUsage[] {
    return SLOT_IDS.map((s) => this.view(s));
  }

  /** Times `run` (the embed itself) and records its outcome; `texts` may be read from the result (a served body is counted by the host). */
  async measure<T>(slot: SlotId, texts: number | ((result: T) => number), run: () => Promise<T>): Promise<T> {
    const started = this.elapsed();
    let result: T;
    try {
      result = await run();
    } catch (e) {
      this.failure(slot, e);
      throw e;
    }
    this.success(slot, typeof texts === 'number' ? texts : texts(result), this.elapsed() - started);
    return result;
  }

  success(slot: SlotId, texts: number, ms: number): void {
    const e = this.entries.get(slot) as Entry;
    e.totalMs += ms;
    e.recent.push(ms);
    if (e.recent.length > LATENCY_WINDOW) e.recent.shift();
    const u = e.usage;
    const wasHealthy = u.health === 'healthy';
    u.uses++;
    u.texts += texts;
    u.lastUsedAt = this.options.now();
    u.consecutiveFailures = 0;
    u.meanMs = e.totalMs / u.uses;
    e.p95Stale = true;
    if (wasHealthy) this.settleSoon(e);
    else this.settle(e);
  }

  /** A request (or the load it needed) failed. */
  failure(slot: SlotId, error: unknown): void {
    const err = toModelbayError(error);
    if (NOT_THE_MODEL.has(err.code)) return;
    const e = this.entries.get(slot) as Entry;
    const u = e.usage;
    u.failures++;
    u.consecutiveFailures++;
    u.lastError = err.toJSON();
    u.lastErrorAt = this.options.now();
    this.settle(e);
  }

  probed(result: ProbeResult): void {
    const e = this.entries.get(result.slot) as Entry;
    const u = e.usage;
    u.lastProbe = result;
    if (result.ok) {
      u.consecutiveFailures = 0;
    } else {
      u.consecutiveFailures++;
      u.lastError = result.error;
      u.lastErrorAt = result.at;
    }
    this.settle(e);
  }

  private settle(e: Entry): void {
    const u = e.usage;
    u.health = healthOf(u.consecutiveFailures, u.uses + u.failures > 0 || u.lastProbe !== null);
    this.unsaid.delete(e);
    this.options.onChange?.(this.current(e));
  }

  /** A success that changes no health: told with its neighbours, once per SUCCESS_NOTICE_MS. */
  private settleSoon(e: Entry): void {
    this.unsaid.add(e);
    if (this.noticeTimer) return;
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = null;
      for (const x of [...this.unsaid]) this.settle(x);
    }, SUCCESS_NOTICE_MS);
    this.noticeTimer.unref();
  }

  private current(e: Entry): SlotUsage {
    if (e.p95Stale) {
      e.p95Stale = false;
      e.usage.p95Ms = p95(e.recent);
    }
    return { ...e.usage };
  }
}
