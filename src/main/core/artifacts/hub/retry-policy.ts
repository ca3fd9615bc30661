/**
 * When to try a transfer again and how long to wait: huggingface_hub's statuses and
 * doubling waits (1, 2, 4, 8, 8 s), with jitter so that many clients do not return in
 * step, and the server's Retry-After when it gives one.
 */
import { toModelbayError, type ErrorCode } from '../../../../shared/errors/errors.js';
import { isRetryable, retryAfterOf } from './hub-client.js';
import { cancelled, gaveUp, isTooSlow } from './transfer-errors.js';

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

export interface RetryPolicy {
  /** Retries after the first try. */
  retries: number;
  backoff: BackoffOptions;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A wait before the next try, as the user is told of it (the caller's clock turns `delayMs` into a time). */
export interface RetryWait {
  attempt: number;
  of: number;
  code: ErrorCode;
  message: string;
  delayMs: number;
}

/**
 * One try plus `retries` after transient failures. Only bytes kept on disk beyond their
 * previous maximum reset the count (issue #10): bytes later thrown away, or a transfer
 * too slow to be worth keeping, are no progress.
 */
export async function withRetries<T>(policy: RetryPolicy, signal: AbortSignal | undefined, attempt: () => Promise<T>, kept: () => number = () => 0, onWait?: (w: RetryWait) => void): Promise<T> {
  let failures = 0;
  let best = kept();
  for (;;) {
    if (signal?.aborted) throw cancelled();
    try {
      return await attempt();
    } catch (err) {
      if (signal?.aborted) throw cancelled();
      if (!isRetryable(err)) throw err;
      const now = kept();
      failures = now > best && !isTooSlow(err) ? 1 : failures + 1;
      best = Math.max(best, now);
      if (failures > policy.retries) throw gaveUp(err, failures);
      const delayMs = backoffDelay(failures, policy.backoff, retryAfterOf(err));
      const e = toModelbayError(err);
      onWait?.({ attempt: failures + 1, of: policy.retries + 1, code: e.code, message: e.message, delayMs });
      await policy.sleep(delayMs, signal);
    }
  }
}
