/** Each device has its own budget: placement and eviction on one GPU never look at another's. */
import { describe, expect, it } from 'vitest';
import { MB } from '../../../../src/shared/values/bytes.js';
import { SLOT_IDS } from '../../../../src/shared/slots/slots.js';
import { ModelRegistry } from '../../../../src/main/core/registry/registry.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';
import { BufferFactory } from '../../../../src/devkit/registry/buffer-factory.js';

describe('budgets per device', () => {
  it('a 3000 MB GPU and a 1000 MB GPU: loads fit each its own budget, eviction and relief stay on the device', async () => {
    const slots = new SlotManager({ devices: [{ device: 'cpu', budgetBytes: 1000 * MB }, { device: 'cuda:0', budgetBytes: 3000 * MB }, { device: 'cuda:1', budgetBytes: 1000 * MB }] });
    const small = new Set(['E1', 'E2', 'E3']);
    const configs = SLOT_IDS.map((id) => ({ id, device: small.has(id) ? 'cuda:1' : 'cuda:0', estimateBytes: 600 * MB }));
    const registry = new ModelRegistry({ slots, factory: new BufferFactory({ allocate: () => 4096 }), configs });
    for (const id of ['E4', 'E5', 'E6', 'E1'] as const) await registry.load(id);
    // 1800 MB on cuda:0 fit its 3000 MB; E2 on cuda:1 (1000 MB) needs E1 gone, and only E1.
    await registry.load('E2');
    const loaded = registry.snapshots().filter((s) => s.state === 'loaded').map((s) => s.id);
    expect(loaded).toEqual(['E2', 'E4', 'E5', 'E6']);
    expect(slots.pressure('cuda:0').allocatedBytes).toBe(1800 * MB);
    expect(slots.pressure('cuda:1').allocatedBytes).toBe(600 * MB);
    // A smaller budget for cuda:1 alone: relief evicts there, cuda:0 keeps everything.
    registry.setBudget('cuda:1', 500 * MB);
    expect(await registry.rebalance()).toEqual(['E2']);
    expect(registry.snapshots().filter((s) => s.state === 'loaded').map((s) => s.id)).toEqual(['E4', 'E5', 'E6']);
    expect(slots.pressure('cuda:0').budgetBytes).toBe(3000 * MB);
  });
});
