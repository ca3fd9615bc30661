/**
 * When to try a transfer again and how long to wait: huggingface_hub's statuses and
 * doubling waits (1, 2, 4, 8, 8 s), with jitter so that many clients do not return in
 * step, and the server's Retry-After when it gives one.
 */
import { cancelled } from './transfer-errors.js';

export interface BackoffOptions {
  initial: number;
  max: number;
}

/** The wait before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, backoff: BackoffOptions, retryAfterMs: number | null, random: () => number = Math.random): number {
  if (retryAfterMs !== null) return retryAfterMs;
  const base = Math.min(backoff.max, backoff.initial * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + 0.5 * random()));
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolveSleep, reject) => {
    if (signal?.aborted) { reject(cancelled()); return; }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolveSleep();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
