/**
 * The one Timers interface injected wherever main waits or repeats (registry sweeps, the
 * GPU monitor, the App's history), so tests drive time instead of waiting for it.
 */
export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers that never keep the process alive on their own. */
export const unrefTimers: Timers = {
  setInterval: (fn, ms) => {
    const h = setInterval(fn, ms);
    h.unref?.();
    return h;
  },
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    h.unref?.();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Waits for `work` at most `ms` (an unref'd timer: it never keeps the process alive). */
export function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    timer.unref?.();
    void work.then(() => undefined, () => undefined).then(() => { clearTimeout(timer); done(); });
  });
}
