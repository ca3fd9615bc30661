import { describe, expect, it, vi } from 'vitest';
import { ModelbayError } from '../../../../src/shared/errors/errors.js';
import type { SlotUsage } from '../../../../src/shared/slots/usage.js';
import { LATENCY_WINDOW, p95, SUCCESS_NOTICE_MS, UsageTracker } from '../../../../src/main/core/registry/slot-usage.js';

function tracker(): { t: UsageTracker; changes: SlotUsage[]; clock: { at: number; mono: number } } {
  const clock = { at: 1_000, mono: 0 };
  const changes: SlotUsage[] = [];
  const t = new UsageTracker({ now: () => clock.at, elapsed: () => clock.mono, onChange: (u) => changes.push(u) });
  return { t, changes, clock };
}

describe('UsageTracker', () => {
  it('counts uses, texts and latency (mean over all, nearest-rank p95 over the window)', async () => {
    const { t, clock } = tracker();
    expect(t.view('E1')).toMatchObject({ health: 'unknown', uses: 0, meanMs: null, p95Ms: null });
    for (let i = 1; i <= 20; i++) {
      await t.measure('E1', 2, () => {
        clock.mono += i;
        return Promise.resolve();
      });
    }
    expect(t.view('E1')).toMatchObject({ health: 'healthy', uses: 20, texts: 40, meanMs: 10.5, p95Ms: 19, lastUsedAt: 1_000 });
    expect(p95([5])).toBe(5);
    expect(p95([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100])).toBe(19);
    for (let i = 0; i < LATENCY_WINDOW; i++) t.success('E2', 1, 1);
    t.success('E2', 1, 1000);
    expect(t.view('E2').p95Ms).toBe(1);
  });

  it('tells a healthy slot\'s successes together, once per notice period, with the p95 of all of them', () => {
    vi.useFakeTimers();
    try {
      const { t, changes } = tracker();
      t.success('E5', 1, 10);
      expect(changes.map((c) => [c.uses, c.health])).toEqual([[1, 'healthy']]);
      for (let i = 0; i < 19; i++) t.success('E5', 1, 1);
      t.success('E5', 1, 50);
      expect(changes).toHaveLength(1);
      expect(t.view('E5')).toMatchObject({ uses: 21, p95Ms: 10 });
      vi.advanceTimersByTime(SUCCESS_NOTICE_MS);
      expect(changes).toHaveLength(2);
      expect(changes[1]).toMatchObject({ uses: 21, texts: 21, p95Ms: 10, health: 'healthy' });
      // A failure changes health: told at once, and a pending success notice is not repeated.
      t.success('E5', 1, 1);
      t.failure('E5', new ModelbayError('EMB-E207', 'boom'));
      expect(changes.at(-1)).toMatchObject({ uses: 22, health: 'degraded' });
      vi.advanceTimersByTime(SUCCESS_NOTICE_MS);
      expect(changes).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is degraded after a failure, unhealthy after three in a row, healthy again after one success; capacity refusals do not count', async () => {
    const { t, changes, clock } = tracker();
    const boom = new ModelbayError('EMB-E207', 'Running the model failed');
    await expect(t.measure('E3', 1, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(t.view('E3')).toMatchObject({ health: 'degraded', consecutiveFailures: 1, failures: 1, lastError: { code: 'EMB-E207' }, lastErrorAt: 1_000 });
    t.failure('E3', new ModelbayError('EMB-E003', 'no room'));
    t.failure('E3', new ModelbayError('EMB-E007', 'busy'));
    expect(t.view('E3').consecutiveFailures).toBe(1);
    clock.at = 2_000;
    t.failure('E3', boom);
    t.failure('E3', new ModelbayError('EMB-E006', 'load failed'));
    expect(t.view('E3')).toMatchObject({ health: 'unhealthy', consecutiveFailures: 3, lastError: { code: 'EMB-E006' }, lastErrorAt: 2_000 });
    t.probed({ slot: 'E3', at: 3_000, ok: true, ms: 4, dims: 8, error: null });
    expect(t.view('E3')).toMatchObject({ health: 'healthy', consecutiveFailures: 0, uses: 0, lastProbe: { ok: true, ms: 4 } });
    t.probed({ slot: 'E3', at: 4_000, ok: false, ms: 4, dims: null, error: boom.toJSON() });
    expect(t.view('E3')).toMatchObject({ health: 'degraded', lastErrorAt: 4_000 });
    expect(changes.every((c) => c.slot === 'E3')).toBe(true);
    expect(changes.at(-1)?.health).toBe('degraded');
  });
});
