/**
 * The App end to end with real session hosts: `load` through the real HostPool
 * (ForkLauncher, a real onnxruntime CPU session of a generated ONNX model), then `embed`
 * and `unload`, with the events a dashboard would see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, EmbedResult } from '../../../src/shared/contract/api.js';
import type { SlotSnapshot } from '../../../src/shared/slots/state.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';
import { processGone, testLauncher } from '../runtime/test-hosts.js';

describe('App with real session hosts', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await harness({ ready: ['E1', 'E2'], launcher: testLauncher() });
    await h.app.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it('load → loaded with a measured size; embed returns the model\'s vectors; unload stops the host', async () => {
    const reply = await h.app.execute('load', { slot: 'E1' });
    if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    const slot = reply.result as SlotSnapshot;
    expect(slot.state).toBe('loaded');
    expect(slot.measuredBytes).not.toBeNull();
    const hosts = h.app.snapshot().runtime.hosts;
    expect(hosts).toEqual([expect.objectContaining({ device: 'cpu', sessions: 1 })]);
    const pid = hosts[0]?.pid as number;

    const embedded = await h.app.execute('embed', { slot: 'E1', texts: ['hello world', 'cat'] });
    if (!embedded.ok) throw new Error(`${embedded.error.code}: ${embedded.error.message}`);
    const result = embedded.result as EmbedResult;
    expect(result.dims).toBe(h.artifacts.model.dim);
    expect(result.vectors).toHaveLength(2);
    const expected = Array.from(h.artifacts.model.reference('hello world')).map((x) => Math.round(x * 1e4));
    expect(result.vectors[0]?.map((x) => Math.round(x * 1e4))).toEqual(expected);

    const states = h.events.filter((e): e is Extract<AppEvent, { type: 'slot' }> => e.type === 'slot' && e.slot.id === 'E1').map((e) => e.slot.state);
    expect(states).toContain('loading');
    expect(states.at(-1)).toBe('loaded');
    expect(h.events.some((e) => e.type === 'runtime' && e.runtime.hosts.length === 1)).toBe(true);
    expect(h.events.some((e) => e.type === 'devices' && (e.devices[0]?.allocatedBytes ?? 0) > 0)).toBe(true);
    expect(h.events.some((e) => e.type === 'activity' && e.entry.kind === 'loaded' && e.entry.slot === 'E1')).toBe(true);

    const unloaded = await h.app.execute('unload', { slot: 'E1' });
    expect(unloaded.ok && (unloaded.result as SlotSnapshot).state).toBe('ready');
    expect(h.app.snapshot().runtime.hosts).toEqual([]);
    expect(processGone(pid)).toBe(true);
  });

  it('embed on a slot that is not loaded loads it first (registry.get)', async () => {
    const embedded = await h.app.execute('embed', { slot: 'E2', texts: ['a b c'] });
    expect(embedded.ok).toBe(true);
    expect(h.app.snapshot().slots.find((s) => s.id === 'E2')).toMatchObject({ state: 'loaded', useCount: 1 });
    const hits = h.app.snapshot().stats.hits;
    await h.app.execute('embed', { slot: 'E2', texts: ['again'] });
    const last = h.events.filter((e): e is Extract<AppEvent, { type: 'slot' }> => e.type === 'slot' && e.slot.id === 'E2').at(-1);
    expect(last?.slot).toMatchObject({ useCount: 2, state: 'loaded' });
    // Hits reach the dashboard at most ten times a second, so the stats event may follow the answer.
    await expect.poll(() => h.events.filter((e) => e.type === 'stats').at(-1)).toMatchObject({ stats: { hits: hits + 1 } });
  });

  it('a slot whose host is killed is marked failed with EMB-E203; the app keeps answering', async () => {
    const pid = h.app.snapshot().runtime.hosts[0]?.pid as number;
    const failed = new Promise<void>((resolve) => {
      const off = h.app.subscribe((e) => {
        if (e.type === 'slot' && e.slot.id === 'E2' && e.slot.state === 'failed') {
          off();
          resolve();
        }
      });
    });
    process.kill(pid, 'SIGKILL');
    await failed;
    const snap = h.app.snapshot().slots.find((s) => s.id === 'E2');
    expect(snap?.error?.code).toBe('EMB-E203');
    const again = await h.app.execute('load', { slot: 'E2' });
    expect(again.ok).toBe(true);
  });

  it('slots marked preload are loaded at start', async () => {
    const pre = await harness({
      ready: ['E3', 'E4'],
      launcher: testLauncher(),
      settingsJson: JSON.stringify({ slots: { E3: { preload: true, pinned: true }, E4: { preload: true } } }),
    });
    try {
      await pre.app.start();
      const slots = pre.app.snapshot().slots;
      expect(slots.find((s) => s.id === 'E3')).toMatchObject({ state: 'loaded', pinned: true, preload: true });
      expect(slots.find((s) => s.id === 'E4')).toMatchObject({ state: 'loaded' });
      expect(slots.find((s) => s.id === 'E5')?.state).toBe('missing');
    } finally {
      await pre.close();
    }
  });
});
