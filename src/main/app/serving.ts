/**
 * The App's serving path for code outside the dashboard (/v1, /embed_sparse, /embed_all,
 * the CLI): a request's body goes to the slot's session host as bytes and its answer comes
 * back as bytes, the slot loads lazily through the registry (which dedupes concurrent
 * loads and holds a lease while the host works), and the dashboard hears about uses at
 * most a few times a second rather than once per request.
 */
import type { SlotId } from '../../shared/slots/slots.js';
import type { OnnxModelSession, ServeCall, ServeResult } from '../core/runtime/index.js';

export interface ServingDeps {
  /** The registry's use: loads when needed (one load for any number of callers) and holds a lease while `fn` runs. */
  use<T>(slot: SlotId, fn: (session: OnnxModelSession) => Promise<T>): Promise<T>;
  /** Sessions loaded now (for queue depths). */
  loaded(): Array<{ slot: SlotId; session: OnnxModelSession }>;
  /** Tell the dashboard that these slots' figures (use count, last used) moved. */
  used(slots: SlotId[]): void;
  /** How long uses are gathered before one notice; default 200 ms. */
  coalesceMs?: number;
  /** Health and usage: the request's outcome, latency and inputs count for the slot, as from the dashboard. */
  measure?<T>(slot: SlotId, texts: (result: T) => number, run: () => Promise<T>): Promise<T>;
}

export class Serving {
  private readonly touched = new Set<SlotId>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Requests waiting for a load (not yet in a host queue). */
  private readonly loading = new Map<SlotId, number>();

  constructor(private readonly deps: ServingDeps) {}

  async serve(slot: SlotId, call: ServeCall): Promise<ServeResult> {
    this.loading.set(slot, (this.loading.get(slot) ?? 0) + call.inputs);
    let waiting = true;
    const stopWaiting = (): void => {
      if (!waiting) return;
      waiting = false;
      this.loading.set(slot, (this.loading.get(slot) ?? 0) - call.inputs);
    };
    try {
      return await this.deps.use(slot, (session) => {
        // From here the inputs count in the session's own queue depth.
        stopWaiting();
        const run = (): Promise<ServeResult> => session.serve(call);
        return this.deps.measure ? this.deps.measure(slot, (r) => r.inputs, run) : run();
      });
    } finally {
      stopWaiting();
      this.touch(slot);
    }
  }

  /** Inputs waiting per slot: for a load, or in the session host's batch queue. */
  queueDepths(): Partial<Record<SlotId, number>> {
    const out: Partial<Record<SlotId, number>> = {};
    for (const [slot, n] of this.loading) if (n > 0) out[slot] = n;
    for (const { slot, session } of this.deps.loaded()) {
      const n = session.queueDepth + (out[slot] ?? 0);
      if (n > 0) out[slot] = n;
    }
    return out;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private touch(slot: SlotId): void {
    this.touched.add(slot);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const slots = [...this.touched];
      this.touched.clear();
      this.deps.used(slots);
    }, this.deps.coalesceMs ?? 200);
    this.timer.unref();
  }
}
