/**
 * The App under concurrent commands, with real session hosts: 200 mixed commands leave no
 * phantom unloads, memory that matches what is loaded, nothing stuck, and every dashboard
 * sees the same events; an embed racing an eviction completes instead of failing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEvent, EmbedResult } from '../../../src/shared/contract/api.js';
import { SLOT_IDS, type SlotId } from '../../../src/shared/slots/slots.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';
import { testLauncher } from '../runtime/test-hosts.js';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

describe('App under concurrent commands', () => {
  it('200 mixed commands: unloads ≤ loads, allocated = sum of loaded, nothing stuck, two dashboards see the same events', async () => {
    const ready: SlotId[] = SLOT_IDS.slice(0, 6);
    // A budget for about three of the small generated models: loads evict each other.
    const h = await harness({ ready, launcher: testLauncher(), app: { totalMemoryBytes: 16 * 1024 ** 3 } });
    open.push(h);
    await h.app.start();
    await h.app.execute('updateSettings', { cpuBudgetBytes: 3 * 40 * 1024 * 1024 });
    const a: AppEvent[] = [];
    const b: AppEvent[] = [];
    const offA = h.app.subscribe((e) => a.push(e));
    const offB = h.app.subscribe((e) => b.push(e));
    let seed = 11;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const commands = Array.from({ length: 200 }, () => {
      const slot = ready[Math.floor(rnd() * ready.length)] as SlotId;
      const r = rnd();
      if (r < 0.3) return h.app.execute('load', { slot });
      if (r < 0.5) return h.app.execute('unload', { slot });
      if (r < 0.65) return h.app.execute('evict', { slot });
      if (r < 0.85) return h.app.execute('embed', { slot, texts: ['concurrent text'] });
      if (r < 0.93) return h.app.execute(rnd() < 0.5 ? 'pin' : 'unpin', { slot });
      return h.app.execute('getSnapshot', {});
    });
    const replies = await Promise.all(commands);
    // Refusals are fine (EMB-E005, EMB-E003…); a crash or an internal error is not.
    expect(replies.filter((r) => !r.ok && r.error.code === 'EMB-E500')).toEqual([]);
    const snap = h.app.snapshot();
    expect(snap.stats.unloads).toBeLessThanOrEqual(snap.stats.loads);
    expect(snap.slots.filter((s) => s.state === 'loading' || s.state === 'unloading')).toEqual([]);
    const loaded = snap.slots.filter((s) => s.state === 'loaded').map((s) => s.id).sort();
    const cpu = snap.devices.find((d) => d.device === 'cpu');
    expect(cpu?.allocations.map((x) => x.slot).sort()).toEqual(loaded);
    expect(cpu?.allocatedBytes).toBe(cpu?.allocations.reduce((s, x) => s + x.bytes, 0));
    expect(snap.activity.filter((e) => /freed 0 B/.test(e.message))).toEqual([]);
    offA();
    offB();
    expect(a.length).toBeGreaterThan(10);
    expect(b.slice(1)).toEqual(a.slice(1));
  });

  it('an embed racing an eviction of its slot completes with the model\'s vectors', async () => {
    const h = await harness({ ready: ['E1'], launcher: testLauncher() });
    open.push(h);
    await h.app.start();
    await h.app.execute('load', { slot: 'E1' });
    // The eviction is asked first: the embeds meet a release that has already begun.
    const evict = h.app.execute('evict', { slot: 'E1' });
    const embeds = Array.from({ length: 5 }, () => h.app.execute('embed', { slot: 'E1', texts: ['hello world'] }));
    const replies = await Promise.all(embeds);
    await evict;
    for (const r of replies) {
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
      expect((r.result as EmbedResult).vectors[0]).toHaveLength(h.artifacts.model.dim);
    }
  });
});
