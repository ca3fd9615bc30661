import { describe, expect, it } from 'vitest';
import { MB } from '../../../../src/shared/values/bytes.js';
import { ModelbayError } from '../../../../src/shared/errors/errors.js';
import { SLOT_IDS, type SlotId } from '../../../../src/shared/slots/slots.js';
import { ModelRegistry, type RegistryEvent } from '../../../../src/main/core/registry/registry.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';
import { BufferFactory, type BufferSession } from '../../../../src/devkit/registry/buffer-factory.js';

function setup(budget = 1000 * MB, size = 100 * MB) {
  const slots = new SlotManager({ devices: [{ device: 'cpu', budgetBytes: budget }] });
  const factory = new BufferFactory({ allocate: () => 4096 });
  const registry = new ModelRegistry({ slots, factory, configs: SLOT_IDS.map((id) => ({ id, device: 'cpu', estimateBytes: size })), maxParallelLoads: 2 });
  const events: RegistryEvent[] = [];
  registry.on((e) => events.push(e));
  return { slots, factory, registry, events };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof ModelbayError ? e.code : `not a ModelbayError: ${String(e)}`;
  }
  return 'no error';
}

describe('ModelRegistry: no phantom unloads', () => {
  it('an unload queued behind a load that fails is EMB-E005 and releases nothing, even when a new load starts meanwhile', async () => {
    const { registry, factory, events } = setup();
    factory.failNext('E1');
    const open = factory.hold('E1');
    const later: Array<Promise<unknown>> = [];
    // The moment the first load fails, a dashboard asks again: that load queues behind the unloads.
    const load = registry.load('E1').catch((e: unknown) => {
      later.push(registry.load('E1').catch(() => undefined));
      throw e;
    });
    const unload = registry.unload('E1');
    const evict = registry.evict('E1');
    open();
    expect(await codeOf(load)).toBe('EMB-E006');
    expect(await codeOf(unload)).toBe('EMB-E005');
    expect(await codeOf(evict)).toBe('EMB-E005');
    await Promise.all(later);
    expect(later).toHaveLength(1);
    expect(registry.stats()).toMatchObject({ loads: 1, unloads: 0, evictions: 0 });
    const entries = events.flatMap((e) => (e.type === 'activity' ? [e.entry] : []));
    expect(entries.filter((e) => e.kind === 'unloaded' || e.kind === 'evicted')).toEqual([]);
  });

  it('200 concurrent mixed commands: unloads ≤ loads, allocated = sum of loaded, nothing stuck', async () => {
    const { registry, slots, factory } = setup(450 * MB, 100 * MB);
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const slot = SLOT_IDS[Math.floor(rnd() * 5)] as SlotId;
      const r = rnd();
      if (r < 0.1) factory.failNext(slot);
      const op = r < 0.35 ? registry.load(slot) : r < 0.55 ? registry.get(slot) : r < 0.75 ? registry.unload(slot) : r < 0.9 ? registry.evict(slot) : registry.use(slot, () => Promise.resolve(1));
      ops.push(op.catch(() => undefined));
    }
    await Promise.all(ops);
    const stats = registry.stats();
    expect(stats.unloads).toBeLessThanOrEqual(stats.loads);
    const snaps = registry.snapshots();
    expect(snaps.filter((s) => s.state === 'loading' || s.state === 'unloading')).toEqual([]);
    const loaded = snaps.filter((s) => s.state === 'loaded').map((s) => s.id);
    const cpu = slots.snapshot('cpu');
    expect(cpu.allocatedBytes).toBe(loaded.reduce((sum, id) => sum + slots.allocatedBytesOf(id), 0));
    expect(cpu.allocations.map((a) => a.slot).sort()).toEqual([...loaded].sort());
    expect(stats.loaded).toBe(loaded.length);
  });
});

describe('ModelRegistry: work in flight holds a lease on its session', () => {
  it('an unload waits for an embed in flight; the embed completes on a live session', async () => {
    const { registry, factory } = setup();
    await registry.load('E1');
    let finish!: () => void;
    const gate = new Promise<void>((r) => { finish = r; });
    let sawReleased: boolean | null = null;
    const use = registry.use('E1', async (s: BufferSession) => {
      await gate;
      sawReleased = s.released;
      return 'done';
    });
    await Promise.resolve();
    const unload = registry.unload('E1');
    await new Promise((r) => setTimeout(r, 10));
    // The unload has begun and waits: the session is still alive for the work in flight.
    expect(registry.snapshot('E1').state).toBe('unloading');
    expect(factory.sessions[0]?.released).toBe(false);
    finish();
    expect(await use).toBe('done');
    await unload;
    expect(sawReleased).toBe(false);
    expect(registry.snapshot('E1').state).toBe('ready');
  });

  it('LRU never picks a slot with work in flight', async () => {
    const { registry } = setup(250 * MB, 100 * MB);
    await registry.load('E1');
    await registry.load('E2');
    let finish!: () => void;
    const gate = new Promise<void>((r) => { finish = r; });
    // E1 is the least recently used, but it is busy.
    const use = registry.use('E1', () => gate);
    await Promise.resolve();
    await registry.load('E3');
    expect(registry.snapshot('E1').state).toBe('loaded');
    expect(registry.snapshot('E2').state).toBe('ready');
    finish();
    await use;
  });

  it('a use racing an eviction reloads instead of failing with EMB-E005', async () => {
    const { registry } = setup();
    await registry.load('E1');
    const evict = registry.evict('E1');
    const result = await registry.use('E1', (s: BufferSession) => Promise.resolve(s.released));
    await evict;
    expect(result).toBe(false);
  });
});
