import type { RetryNotice } from '../../../shared/artifacts/artifacts.js';
import { duration } from './figures.js';

/** "retrying in 4 s (attempt 3 of 6) — EMB-E107 <message>": a wait, not a stall. */
export function retryText(r: RetryNotice, now: number): string {
  const left = r.nextAt === null ? null : Math.max(0, Math.ceil((r.nextAt - now) / 1000));
  const when = left === null || left === 0 ? 'retrying now' : `retrying in ${duration(left)}`;
  return `${when} (attempt ${r.attempt} of ${r.of}) — ${r.code} ${r.message}`;
}
