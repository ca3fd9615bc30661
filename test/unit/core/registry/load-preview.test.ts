import { describe, expect, it } from 'vitest';
import { MB } from '../../../../src/shared/values/bytes.js';
import { SLOT_IDS, type SlotId } from '../../../../src/shared/slots/slots.js';
import { ModelRegistry } from '../../../../src/main/core/registry/registry.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';
import { BufferFactory } from '../../../../src/devkit/registry/buffer-factory.js';

function setup(sizes: Partial<Record<SlotId, number>>) {
  let t = 1_000_000;
  const clock = { now: () => t };
  const slots = new SlotManager({ devices: [{ device: 'cuda:0', budgetBytes: 1000 * MB }], now: clock.now });
  const factory = new BufferFactory({ allocate: () => 4096 });
  const configs = SLOT_IDS.map((id) => ({ id, device: 'cuda:0', estimateBytes: sizes[id] ?? 300 * MB }));
  const registry = new ModelRegistry({ slots, factory, configs, clock });
  const tick = (): void => {
    t += 1000;
  };
  return { registry, slots, tick };
}

describe('previewLoad', () => {
  it('names the evictions a load then makes, least recently used first, pins skipped, and changes nothing', async () => {
    const { registry, slots, tick } = setup({ E4: 500 * MB, E5: 1200 * MB });
    for (const id of ['E1', 'E2', 'E3'] as const) {
      await registry.load(id);
      tick();
    }
    registry.pin('E1');
    const before = JSON.stringify({ snaps: registry.snapshots(), devices: slots.snapshots(), stats: registry.stats() });

    const preview = registry.previewLoad('E4');
    expect(preview).toEqual({
      slot: 'E4', device: 'cuda:0', estimateBytes: 500 * MB, alreadyLoaded: false,
      evicts: [{ slot: 'E2', bytes: 300 * MB }, { slot: 'E3', bytes: 300 * MB }], freedBytes: 600 * MB,
      after: { allocatedBytes: 800 * MB, budgetBytes: 1000 * MB, ratio: 0.8, level: 'High' }, error: null,
    });
    // A slot too large even after every unpinned slot went: the EMB-E003 load would meet.
    const refused = registry.previewLoad('E5');
    expect(refused.error?.code).toBe('EMB-E003');
    expect(refused.after).toBeNull();
    expect(refused.evicts).toEqual([]);
    expect(registry.previewLoad('E1')).toMatchObject({ alreadyLoaded: true, evicts: [], error: null });
    expect(JSON.stringify({ snaps: registry.snapshots(), devices: slots.snapshots(), stats: registry.stats() })).toBe(before);

    // The load itself evicts exactly what the preview said.
    const evicted: SlotId[] = [];
    registry.on((e) => {
      if (e.type === 'activity' && e.entry.kind === 'evicted' && e.entry.slot) evicted.push(e.entry.slot);
    });
    await registry.load('E4');
    expect(evicted).toEqual(['E2', 'E3']);
    expect(slots.snapshot('cuda:0').allocatedBytes).toBe(preview.after?.allocatedBytes);
  });

  it('a load that fits evicts nothing and reports the pressure after', () => {
    const { registry } = setup({});
    expect(registry.previewLoad('E2')).toMatchObject({ evicts: [], freedBytes: 0, after: { allocatedBytes: 300 * MB, level: 'Low' }, error: null });
  });
});
