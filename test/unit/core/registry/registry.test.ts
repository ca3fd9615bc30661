import { describe, expect, it } from 'vitest';
import { MB } from '../../../../src/shared/values/bytes.js';
import { ModelbayError } from '../../../../src/shared/errors/errors.js';
import { SLOT_IDS, type SlotId } from '../../../../src/shared/slots/slots.js';
import type { ActivityEntry } from '../../../../src/shared/contract/activity.js';
import { ModelRegistry, type RegistryEvent } from '../../../../src/main/core/registry/registry.js';
import type { SlotConfig } from '../../../../src/main/core/registry/types.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';
import { BufferFactory } from '../../../../src/devkit/registry/buffer-factory.js';
import type { Timers } from '../../../../src/main/core/async/timers.js';
import { DERIVED_MIN_GAP_MS } from '../../../../src/main/core/registry/registry-events.js';

class FakeClock {
  t = 1_000_000;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

function setup(options: {
  budget?: number;
  sizes?: Partial<Record<SlotId, number>>;
  configs?: Partial<Record<SlotId, Partial<SlotConfig>>>;
  factory?: BufferFactory;
  maxParallelLoads?: number;
  timers?: Timers;
} = {}) {
  const clock = new FakeClock();
  const slots = new SlotManager({ devices: [{ device: 'cuda:0', budgetBytes: options.budget ?? 1000 * MB }], now: clock.now });
  const factory = options.factory ?? new BufferFactory({ allocate: () => 4096 });
  const configs = SLOT_IDS.map((id) => ({ id, device: 'cuda:0', estimateBytes: options.sizes?.[id] ?? 100 * MB, ...options.configs?.[id] }));
  const registry = new ModelRegistry({ slots, factory, configs, clock, maxParallelLoads: options.maxParallelLoads ?? 2, ...(options.timers ? { timers: options.timers } : {}) });
  const events: RegistryEvent[] = [];
  registry.on((e) => events.push(e));
  const activity = (): ActivityEntry[] => events.flatMap((e) => (e.type === 'activity' ? [e.entry] : []));
  return { clock, slots, factory, registry, events, activity };
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e instanceof ModelbayError ? e.code : `not a ModelbayError: ${String(e)}`;
  }
  return 'no error';
}

describe('ModelRegistry', () => {
  it('starts with 13 slots, none loaded', () => {
    const { registry } = setup();
    const snaps = registry.snapshots();
    expect(snaps.map((s) => s.id)).toEqual([...SLOT_IDS]);
    expect(snaps.every((s) => s.state === 'ready' && s.health === 'unknown')).toBe(true);
    expect(registry.stats()).toEqual({ loaded: 0, bytes: 0, loads: 0, unloads: 0, hits: 0, failures: 0, evictions: 0 });
  });

  it('unload from an empty registry is EMB-E005 and changes nothing', async () => {
    const { registry, events } = setup();
    expect(await codeOf(registry.unload('E1'))).toBe('EMB-E005');
    expect(await codeOf(registry.evict('E1'))).toBe('EMB-E005');
    expect(events).toEqual([]);
    expect(registry.stats().unloads).toBe(0);
  });

  it('100 concurrent gets of one slot cause exactly one load and 99 hits', async () => {
    const { registry, factory } = setup();
    const release = factory.hold('E1');
    const gets = Array.from({ length: 100 }, () => registry.get('E1'));
    release();
    const sessions = await Promise.all(gets);
    expect(factory.created).toEqual(['E1']);
    expect(new Set(sessions).size).toBe(1);
    const stats = registry.stats();
    expect(stats.loads).toBe(1);
    expect(stats.hits).toBe(99);
    expect(registry.snapshot('E1')).toMatchObject({ state: 'loaded', useCount: 100, loadCount: 1, health: 'healthy' });
    // one more get is a hit, not a load
    await registry.get('E1');
    expect(registry.stats()).toMatchObject({ loads: 1, hits: 100 });
  });

  it('hits reach the stats event at most once per DERIVED_MIN_GAP_MS, and the last one always arrives', async () => {
    const pending: Array<{ fn: () => void; ms: number }> = [];
    const timers: Timers = {
      setTimeout: (fn, ms) => pending.push({ fn, ms }),
      clearTimeout: () => undefined,
      setInterval: () => 0,
      clearInterval: () => undefined,
    };
    const { registry, events, clock } = setup({ timers });
    await registry.get('E1');
    const statsEvents = (): number[] => events.flatMap((e) => (e.type === 'stats' ? [e.stats.hits] : []));
    const before = statsEvents().length;
    // Serving: a hit per request, over many turns of the event loop, within the gap.
    for (let i = 0; i < 20; i++) {
      await registry.get('E1');
      await new Promise((r) => setImmediate(r));
    }
    expect(statsEvents().length).toBe(before);
    expect(pending.map((p) => p.ms)).toEqual([DERIVED_MIN_GAP_MS]);
    clock.advance(DERIVED_MIN_GAP_MS);
    pending.shift()?.fn();
    expect(statsEvents().slice(before)).toEqual([20]);
    // After a quiet gap a hit is sent on the next turn, not held back.
    clock.advance(DERIVED_MIN_GAP_MS + 1);
    await registry.get('E1');
    await new Promise((r) => setImmediate(r));
    expect(statsEvents().at(-1)).toBe(21);
    expect(pending).toEqual([]);
  });

  it('uses that wait for the load count once each (useCount and hits), not once per attempt', async () => {
    const { registry, factory } = setup();
    const release = factory.hold('E1');
    const uses = Array.from({ length: 50 }, () => registry.use('E1', () => Promise.resolve('done')));
    release();
    expect(await Promise.all(uses)).toEqual(Array.from({ length: 50 }, () => 'done'));
    expect(factory.created).toEqual(['E1']);
    expect(registry.snapshot('E1')).toMatchObject({ state: 'loaded', useCount: 50 });
    expect(registry.stats()).toMatchObject({ loads: 1, hits: 49 });
  });

  it('a use whose load fails is not counted as a use of the slot (the card and the health line agree)', async () => {
    const { registry, factory } = setup();
    factory.failNext('E1');
    await expect(registry.use('E1', () => Promise.resolve('done'))).rejects.toBeDefined();
    expect(registry.snapshot('E1')).toMatchObject({ useCount: 0, failures: 1 });
    await registry.use('E1', () => Promise.resolve('done'));
    expect(registry.snapshot('E1')).toMatchObject({ state: 'loaded', useCount: 1 });
  });

  it('emits state changes after they happen: loading then loaded', async () => {
    const { registry, events } = setup();
    await registry.load('E2');
    const states = events.flatMap((e) => (e.type === 'slot' && e.slot.id === 'E2' ? [e.slot.state] : []));
    expect(states).toEqual(['loading', 'loaded']);
    expect(registry.slots.isAllocated('E2')).toBe(true);
  });

  it('a failed load leaves the slot failed with the reason and frees its reservation', async () => {
    const { registry, factory, slots, activity } = setup();
    factory.failNext('E3', new ModelbayError('EMB-E202', 'model.onnx is truncated'));
    expect(await codeOf(registry.get('E3'))).toBe('EMB-E202');
    const s = registry.snapshot('E3');
    expect(s.state).toBe('failed');
    expect(s.health).toBe('unhealthy');
    expect(s.error).toMatchObject({ code: 'EMB-E202', message: 'model.onnx is truncated' });
    expect(slots.isAllocated('E3')).toBe(false);
    expect(slots.pressure('cuda:0').allocatedBytes).toBe(0);
    expect(registry.stats().failures).toBe(1);
    expect(activity().at(-1)).toMatchObject({ kind: 'load-failed', slot: 'E3', code: 'EMB-E202' });
    // a later load succeeds and clears the failure
    await registry.get('E3');
    expect(registry.snapshot('E3')).toMatchObject({ state: 'loaded', error: null, health: 'degraded' });
  });

  it('a plain Error from the factory becomes EMB-E006', async () => {
    const { registry, factory } = setup();
    factory.failNext('E4');
    expect(await codeOf(registry.load('E4'))).toBe('EMB-E006');
  });

  it('evicts the least recently used unpinned slot to make room, and logs why', async () => {
    const { registry, clock, activity, factory } = setup({ budget: 1000 * MB, sizes: { E1: 400 * MB, E2: 400 * MB, E3: 400 * MB } });
    await registry.get('E1');
    clock.advance(10);
    await registry.get('E2');
    clock.advance(10);
    await registry.get('E1'); // E2 is now least recently used
    await registry.get('E3');
    expect(registry.snapshot('E2').state).toBe('ready');
    expect(registry.snapshot('E1').state).toBe('loaded');
    expect(registry.snapshot('E3').state).toBe('loaded');
    expect(factory.sessions.find((s) => s.slot === 'E2')?.released).toBe(true);
    const ev = activity().find((a) => a.kind === 'evicted');
    expect(ev).toMatchObject({ slot: 'E2', reason: 'lru' });
    expect(ev?.message).toContain('E2 evicted: LRU, making room for E3');
    expect(registry.stats().evictions).toBe(1);
  });

  it('a pinned slot is never evicted automatically; when nothing can make room the load fails with EMB-E003 and evicts nothing', async () => {
    const { registry, slots } = setup({ budget: 1000 * MB, sizes: { E1: 500 * MB, E2: 400 * MB, E3: 300 * MB }, configs: { E1: { pinned: true } } });
    await registry.get('E1');
    await registry.get('E2');
    registry.pin('E2');
    let err: ModelbayError | null = null;
    try {
      await registry.get('E3');
    } catch (e) {
      err = e as ModelbayError;
    }
    expect(err?.code).toBe('EMB-E003');
    expect(err?.details).toMatchObject({ requested: 300 * MB, available: 100 * MB, budget: 1000 * MB, allocated: 900 * MB, loaded: 2, total: 13 });
    expect(String(err?.details['suggestion'])).toContain('Unpin E1, E2');
    expect(registry.snapshot('E1').state).toBe('loaded');
    expect(registry.snapshot('E2').state).toBe('loaded');
    expect(registry.snapshot('E3')).toMatchObject({ state: 'failed', error: { code: 'EMB-E003' } });
    expect(slots.pressure('cuda:0').allocatedBytes).toBe(900 * MB);
    expect(registry.stats().evictions).toBe(0);
  });

  it('Critical pressure after a measurement evicts LRU unpinned slots until it is not, sparing the new slot', async () => {
    const factory = new BufferFactory({ allocate: () => 4096, measure: (r) => (r.slot === 'E4' ? 450 * MB : null) });
    const { registry, slots, activity, clock } = setup({ factory, budget: 1000 * MB, sizes: { E1: 200 * MB, E2: 200 * MB, E3: 200 * MB, E4: 200 * MB }, configs: { E1: { pinned: true } } });
    for (const id of ['E1', 'E2', 'E3'] as const) {
      await registry.get(id);
      clock.advance(5);
    }
    expect(slots.pressure('cuda:0').level).toBe('Medium'); // 600 / 1000
    await registry.get('E4'); // estimate 200 fits (800), measured 450 → 1050 = Critical
    const p = slots.pressure('cuda:0');
    expect(p.level).not.toBe('Critical');
    expect(registry.snapshot('E1').state).toBe('loaded'); // pinned
    expect(registry.snapshot('E4')).toMatchObject({ state: 'loaded', measuredBytes: 450 * MB });
    expect(registry.snapshot('E2').state).toBe('ready'); // least recently used, unpinned
    expect(registry.snapshot('E3').state).toBe('loaded'); // 200 + 200 + 450 = 850 → High, enough
    const ev = activity().filter((a) => a.kind === 'evicted');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ slot: 'E2', reason: 'critical' });
    expect(ev[0]?.message).toMatch(/E2 evicted: LRU, budget Critical 105 %/);
  });

  it('rebalance after a budget cut evicts until the device is below Critical', async () => {
    const { registry, slots, clock } = setup({ budget: 1000 * MB, sizes: { E1: 300 * MB, E2: 300 * MB, E3: 300 * MB } });
    for (const id of ['E1', 'E2', 'E3'] as const) {
      await registry.get(id);
      clock.advance(5);
    }
    slots.setBudget('cuda:0', 600 * MB);
    expect(slots.pressure('cuda:0').level).toBe('Critical');
    expect(await registry.rebalance()).toEqual(['E1', 'E2']);
    expect(slots.pressure('cuda:0').level).toBe('Medium');
  });

  it('manual evict of a pinned slot needs force', async () => {
    const { registry } = setup({ configs: { E5: { pinned: true } } });
    await registry.load('E5');
    expect(await codeOf(registry.evict('E5'))).toBe('EMB-E004');
    expect(registry.snapshot('E5').state).toBe('loaded');
    await registry.evict('E5', { force: true });
    expect(registry.snapshot('E5').state).toBe('ready');
    expect(registry.stats()).toMatchObject({ evictions: 1, unloads: 1 });
  });

  it('double unload: the second is EMB-E005', async () => {
    const { registry } = setup();
    await registry.load('E6');
    await registry.unload('E6');
    expect(await codeOf(registry.unload('E6'))).toBe('EMB-E005');
    expect(registry.stats().unloads).toBe(1);
  });

  it('an unload queued behind a load waits for it and then unloads', async () => {
    const { registry, factory } = setup();
    const release = factory.hold('E7');
    const load = registry.load('E7');
    const unload = registry.unload('E7');
    release();
    await load;
    await unload;
    expect(registry.snapshot('E7').state).toBe('ready');
  });

  it('caps parallel loads across slots', async () => {
    const { registry, factory } = setup({ maxParallelLoads: 2 });
    const holds = (['E1', 'E2', 'E3'] as const).map((id) => factory.hold(id));
    const loads = (['E1', 'E2', 'E3'] as const).map((id) => registry.load(id));
    // Two start; the third waits for one of them (held open until the check).
    await expect.poll(() => factory.created).toEqual(['E1', 'E2']);
    holds.forEach((open) => open());
    await Promise.all(loads);
    expect(factory.created).toEqual(['E1', 'E2', 'E3']);
  });

  it('initialize preloads the slots marked preload, pinned or not, and reports failures per slot', async () => {
    const factory = new BufferFactory({ allocate: () => 4096 });
    factory.failNext('E9');
    const { registry } = setup({ factory, configs: { E1: { preload: true, pinned: true }, E8: { preload: true }, E9: { preload: true } } });
    const result = await registry.initialize();
    expect(result.map((r) => [r.slot, r.ok])).toEqual([['E1', true], ['E8', true], ['E9', false]]);
    expect(result[2]?.error?.code).toBe('EMB-E006');
    expect(registry.snapshots().filter((s) => s.state === 'loaded').map((s) => s.id)).toEqual(['E1', 'E8']);
  });

  it('idle TTL unloads slots unused for longer than their TTL, never pinned ones', async () => {
    const { registry, clock, activity } = setup({ configs: { E1: { idleTtlMs: 60_000 }, E2: { idleTtlMs: 60_000, pinned: true }, E3: {} } });
    await registry.get('E1');
    await registry.get('E2');
    await registry.get('E3');
    clock.advance(59_000);
    expect(await registry.sweepIdle()).toEqual([]);
    clock.advance(2_000);
    expect(await registry.sweepIdle()).toEqual(['E1']);
    expect(registry.snapshot('E1').state).toBe('ready');
    expect(registry.snapshot('E2').state).toBe('loaded');
    expect(registry.snapshot('E3').state).toBe('loaded');
    expect(activity().find((a) => a.kind === 'evicted')).toMatchObject({ slot: 'E1', reason: 'idle' });
  });

  it('a missing artifact without a prepare hook fails with EMB-E101', async () => {
    const { registry } = setup({ configs: { E10: { artifactState: 'missing' } } });
    expect(registry.snapshot('E10').state).toBe('missing');
    expect(await codeOf(registry.load('E10'))).toBe('EMB-E101');
    registry.setArtifactState('E10', 'ready');
    expect(registry.snapshot('E10').state).toBe('ready');
    await registry.load('E10');
  });

  it('files that failed are said in words, with the failure, and unloading a slot that is not loaded says why', async () => {
    const { registry } = setup();
    registry.setArtifactState('E10', 'failed', new ModelbayError('EMB-E108', 'onnx/model.onnx: the downloaded bytes have sha256 1a2b…, expected 3c4d….').toJSON());
    const refused = await registry.load('E10').then(() => null, (e: unknown) => e as ModelbayError);
    expect(refused).toMatchObject({ code: 'EMB-E101' });
    expect(refused?.message).toBe("E10's model files failed verification. onnx/model.onnx: the downloaded bytes have sha256 1a2b…, expected 3c4d….");
    const unload = await registry.unload('E10').then(() => null, (e: unknown) => e as ModelbayError);
    expect(unload?.message).toBe('E10 is not loaded: it has failed.');
  });

  it('a lost session frees memory and marks the slot failed; the next get loads again', async () => {
    const { registry, slots, factory } = setup();
    await registry.get('E11');
    await registry.sessionLost('E11', new ModelbayError('EMB-E203', 'host cpu exited with SIGKILL'));
    expect(registry.snapshot('E11')).toMatchObject({ state: 'failed', error: { code: 'EMB-E203' } });
    expect(slots.isAllocated('E11')).toBe(false);
    await registry.get('E11');
    expect(factory.created.filter((s) => s === 'E11')).toHaveLength(2);
  });

  describe('bad input', () => {
    it.each([
      ['unknown slot in get', (r: ModelRegistry) => r.get('E0' as SlotId), 'EMB-E001'],
      ['unknown slot in pin', (r: ModelRegistry) => r.pin('X' as SlotId), 'EMB-E001'],
      ['unknown device', (r: ModelRegistry) => r.setDevice('E1', 'cuda:3'), 'EMB-E008'],
      ['negative estimate', (r: ModelRegistry) => r.setEstimate('E1', -5), 'EMB-E002'],
      ['NaN ttl', (r: ModelRegistry) => r.setIdleTtl('E1', Number.NaN), 'EMB-E002'],
      ['load limit 0', (r: ModelRegistry) => r.setMaxParallelLoads(0), 'EMB-E002'],
    ] as const)('%s', async (_n, act, code) => {
      const { registry, events } = setup();
      const before = JSON.stringify(registry.snapshots());
      expect(await codeOf(() => act(registry))).toBe(code);
      expect(JSON.stringify(registry.snapshots())).toBe(before);
      expect(events).toEqual([]);
    });

    it('moving a loaded slot to another device is refused', async () => {
      const { registry } = setup();
      await registry.load('E1');
      expect(await codeOf(() => registry.setDevice('E1', 'cuda:0'))).toBe('EMB-E007');
    });

    it('a closed registry refuses new loads', async () => {
      const { registry } = setup();
      await registry.load('E1');
      await registry.shutdown();
      expect(registry.snapshot('E1').state).toBe('ready');
      expect(await codeOf(registry.get('E2'))).toBe('EMB-E009');
    });
  });
});
