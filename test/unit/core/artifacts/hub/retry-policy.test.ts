import { describe, expect, it } from 'vitest';
import { abortableSleep, backoffDelay } from '../../../../../src/main/core/artifacts/hub/retry-policy.js';

describe('backoffDelay', () => {
  const b = { initial: 1000, max: 8000 };
  it('doubles up to the max (1, 2, 4, 8, 8 s), with jitter of ±25 %', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, b, null, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(backoffDelay(1, b, null, () => 0)).toBe(750);
    expect(backoffDelay(5, b, null, () => 1)).toBe(10000);
  });
  it('takes Retry-After as given', () => {
    expect(backoffDelay(1, b, 30_000, () => 0.5)).toBe(30_000);
  });
});

describe('abortableSleep', () => {
  it('rejects with EMB-E114 when aborted', async () => {
    const ac = new AbortController();
    const p = abortableSleep(60_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'EMB-E114' });
  });
});
