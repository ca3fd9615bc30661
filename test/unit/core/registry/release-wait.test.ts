/**
 * Freed GPU memory is waited for, not assumed: after an eviction the bytes stay
 * "releasing" until the GPU monitor's free figure shows them back, or a bounded wait (the
 * setting, 5 s here) ends. A load that needs them waits, visibly; time is driven by fake
 * timers, GPU figures by samples handed to the registry as the monitor would.
 */
import { describe, expect, it } from 'vitest';
import { MB } from '../../../../src/shared/values/bytes.js';
import type { ActivityEntry } from '../../../../src/shared/contract/activity.js';
import type { GpuSample } from '../../../../src/shared/devices/gpu.js';
import { SLOT_IDS } from '../../../../src/shared/slots/slots.js';
import type { Timers } from '../../../../src/main/core/async/timers.js';
import { ModelRegistry, type RegistryEvent } from '../../../../src/main/core/registry/registry.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';
import { BufferFactory } from '../../../../src/devkit/registry/buffer-factory.js';

/** Timers that only fire when the test advances them. */
class ManualTimers implements Timers {
  now = 0;
  private next = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.due.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.due.delete(h as number);
  }
  setInterval(): unknown {
    return 0;
  }
  clearInterval(): void {}
  get pending(): number {
    return this.due.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.due]) {
      if (t.at <= this.now) {
        this.due.delete(id);
        t.fn();
      }
    }
  }
}

const TOTAL = 1000 * MB;

/** One GPU as nvidia-smi reports it, with `freeBytes` free (null = [N/A]). */
function sample(freeBytes: number | null): GpuSample {
  return {
    at: 0, available: true, reason: null, processes: [], processesKnown: true,
    gpus: [{
      index: 0, uuid: 'GPU-00000000-0000-0000-0000-000000000000', name: 'Test GPU', memoryTotalBytes: TOTAL, memoryReservedBytes: 0,
      memoryUsedBytes: freeBytes === null ? null : TOTAL - freeBytes, memoryFreeBytes: freeBytes, utilizationPct: 0, temperatureC: 40,
      powerDrawW: 50, powerLimitW: 300, fanPct: null, smClockMHz: null, migMode: null,
    }],
  };
}

function setup(device: 'cuda:0' | 'cpu' = 'cuda:0') {
  const timers = new ManualTimers();
  const slots = new SlotManager({ devices: [{ device, budgetBytes: TOTAL }] });
  const configs = SLOT_IDS.map((id) => ({ id, device, estimateBytes: 600 * MB }));
  const registry = new ModelRegistry({ slots, factory: new BufferFactory({ allocate: () => 4096 }), configs, timers, releaseWaitMs: 5000 });
  const events: RegistryEvent[] = [];
  registry.on((e) => events.push(e));
  const activity = (): ActivityEntry[] => events.flatMap((e) => (e.type === 'activity' ? [e.entry] : []));
  const gpu = (free: number | null): void => {
    registry.syncGpus(sample(free), () => TOTAL);
  };
  return { timers, slots, registry, activity, gpu };
}

/** Let queued promise work run (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('release waiting on a GPU', () => {
  it('a load that needs evicted memory waits until the monitor sees it back, then proceeds', async () => {
    const { timers, registry, activity, gpu, slots } = setup();
    gpu(TOTAL);
    await registry.load('E1');
    gpu(TOTAL - 600 * MB);
    const e2 = registry.load('E2');
    await settle();
    // E1 was evicted for E2, but its 600 MB are still held by CUDA: E2 waits, and says so.
    expect(registry.snapshot('E1').state).not.toBe('loaded');
    expect(registry.snapshot('E2')).toMatchObject({ state: 'loading', waiting: "waiting for E1's memory to be released on cuda:0" });
    expect(activity().some((a) => a.slot === 'E2' && a.message.includes("E2 waiting for E1's memory to be released on cuda:0"))).toBe(true);
    expect(slots.snapshot('cuda:0')).toMatchObject({ releasing: ['E1'], releasingBytes: 600 * MB });
    // A sample without the memory back changes nothing.
    gpu(TOTAL - 600 * MB);
    await settle();
    expect(registry.snapshot('E2').state).toBe('loading');
    // The monitor sees it back: E2 loads at once, before the bounded wait has passed.
    gpu(TOTAL);
    await e2;
    expect(registry.snapshot('E2')).toMatchObject({ state: 'loaded', waiting: null });
    expect(timers.now).toBe(0);
    expect(timers.pending).toBe(0);
    expect(activity().some((a) => a.message.includes('not seen released'))).toBe(false);
  });

  it('memory that never comes back: the wait ends after the bounded time, is logged, and the load fails by the reported free memory (EMB-E003), never overcommitting', async () => {
    const { timers, registry, activity, gpu } = setup();
    gpu(TOTAL);
    await registry.load('E1');
    gpu(TOTAL - 600 * MB);
    const e2 = registry.load('E2').then(() => 'loaded', (e: unknown) => (e as { code?: string }).code);
    await settle();
    expect(registry.snapshot('E2').waiting).toContain('E1');
    timers.advance(4999);
    await settle();
    expect(registry.snapshot('E2').state).toBe('loading');
    timers.advance(1);
    expect(await e2).toBe('EMB-E003');
    expect(activity().some((a) => a.slot === 'E1' && a.message.includes('were not seen released within 5 s'))).toBe(true);
    expect(registry.snapshot('E2')).toMatchObject({ waiting: null, state: 'failed' });
  });

  it('without GPU figures the bounded wait still applies, then the load proceeds on the budget alone', async () => {
    const { timers, registry, activity } = setup();
    await registry.load('E1');
    const e2 = registry.load('E2');
    await settle();
    expect(registry.snapshot('E2').waiting).toContain('E1');
    timers.advance(5000);
    await e2;
    expect(registry.snapshot('E2').state).toBe('loaded');
    expect(activity().some((a) => a.message.includes('were not seen released within 5 s'))).toBe(true);
  });

  it('the CPU budget never waits', async () => {
    const { timers, registry } = setup('cpu');
    await registry.load('E1');
    await registry.load('E2');
    expect(registry.snapshot('E2').state).toBe('loaded');
    expect(registry.snapshot('E1').state).not.toBe('loaded');
    expect(timers.pending).toBe(0);
  });
});
