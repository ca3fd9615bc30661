/**
 * Estimates come from the model, not the catalog: the reservation before a load is within
 * [1, 3] × what the loaded session really takes, for every shape the generator makes, and
 * a slot whose catalog width is a vocabulary (SPLADE, E6) is not charged tens of GB.
 */
import { describe, expect, it } from 'vitest';
import { GiB } from '../../../src/shared/values/bytes.js';
import type { SlotSnapshot } from '../../../src/shared/slots/state.js';
import { harness } from '../../../src/devkit/app/app-harness.js';
import { testLauncher } from '../runtime/test-hosts.js';

describe('estimates from the model itself', () => {
  it('E6, whose catalog width is a 30522-word vocabulary, gets an estimate that fits a normal budget', async () => {
    // Production load options (batch 32 × 512 tokens): the catalog width used as the hidden size gave ~64 GB.
    const h = await harness({ ready: ['E6'], app: { hostLoadOptions: undefined }, model: { catalogDims: { E6: 30522 } } });
    try {
      await h.app.start();
      expect(h.app.snapshot().catalog.find((c) => c.slot === 'E6')?.dims).toBe(30522);
      await expect.poll(() => h.app.snapshot().slots.find((s) => s.id === 'E6')?.estimateBytes ?? 0).toBeLessThan(2 * GiB);
    } finally {
      await h.close();
    }
  });

  it.each([
    [300, 16],
    [5_000, 128],
    [30_000, 384],
    [20_000, 768],
  ])('a generated %i × %i model: estimate ÷ measured within [1, 3]', async (vocab, dim) => {
    const h = await harness({ ready: ['E1'], launcher: testLauncher(), model: { vocab, dim } });
    try {
      await h.app.start();
      const reply = await h.app.execute('load', { slot: 'E1' });
      if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
      const slot = reply.result as SlotSnapshot;
      expect(slot.measuredBytes).not.toBeNull();
      const ratio = slot.estimateBytes / (slot.measuredBytes ?? 1);
      expect(ratio).toBeGreaterThanOrEqual(1);
      expect(ratio).toBeLessThanOrEqual(3);
    } finally {
      await h.close();
    }
  });
});
