import { describe, expect, it } from 'vitest';
import { GiB, MB, MiB } from '../../../../src/shared/values/bytes.js';
import { ModelbayError } from '../../../../src/shared/errors/errors.js';
import { SLOT_IDS, type SlotId } from '../../../../src/shared/slots/slots.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';
import { SEED_ESTIMATE_MB } from '../../../../src/main/core/slots/seed.js';
import { pressureLevel } from '../../../../src/main/core/slots/pressure.js';
import { DEFAULT_THRESHOLDS } from '../../../../src/shared/slots/state.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof ModelbayError ? e.code : `not a ModelbayError: ${String(e)}`;
  }
  return 'no error';
}

function mgr(budget = 1000): SlotManager {
  return new SlotManager({ devices: [{ device: 'cuda:0', budgetBytes: budget }] });
}

describe('SlotManager', () => {
  it('fits the seed design\'s 13 models in 8 GiB at Low pressure', () => {
    const m = new SlotManager({ devices: [{ device: 'cuda:0', budgetBytes: 8 * GiB }] });
    for (const id of SLOT_IDS) m.reserve(id, 'cuda:0', SEED_ESTIMATE_MB[id] * MB);
    const p = m.pressure('cuda:0');
    expect(m.loadedCount()).toBe(13);
    expect(p.allocatedBytes).toBe(1600 * MB);
    expect(p.level).toBe('Low');
  });

  it('allocating exactly the budget leaves 0 available, and one byte more is refused', () => {
    const m = mgr(1000);
    m.reserve('E1', 'cuda:0', 1000);
    expect(m.available('cuda:0')).toBe(0);
    expect(m.pressure('cuda:0').level).toBe('Critical');
    expect(codeOf(() => m.reserve('E2', 'cuda:0', 1))).toBe('EMB-E003');
    m.reserve('E2', 'cuda:0', 0);
    expect(m.loadedCount()).toBe(2);
  });

  it('an over-budget reservation throws EMB-E003 with the full context and changes nothing', () => {
    const m = new SlotManager({ devices: [{ device: 'cuda:0', budgetBytes: 8 * GiB }] });
    m.reserve('E1', 'cuda:0', 6 * GiB);
    m.pin('E1');
    const before = JSON.stringify(m.snapshot('cuda:0'));
    let err: ModelbayError | null = null;
    try {
      m.reserve('E7', 'cuda:0', 3 * GiB);
    } catch (e) {
      err = e as ModelbayError;
    }
    expect(err?.code).toBe('EMB-E003');
    expect(err?.details).toMatchObject({
      slot: 'E7', device: 'cuda:0', requested: 3 * GiB, available: 2 * GiB, budget: 8 * GiB,
      allocated: 6 * GiB, loaded: 1, total: 13, pinned: ['E1'],
    });
    expect(String(err?.details['suggestion'])).toContain('Unpin E1');
    expect(err?.message).toContain('loaded 1/13');
    expect(err?.message).toContain('3.00 GiB');
    expect(JSON.stringify(m.snapshot('cuda:0'))).toBe(before);
    expect(m.isAllocated('E7')).toBe(false);
  });

  it('suggests raising the budget when one model is larger than the whole budget', () => {
    const m = mgr(100 * MiB);
    let err: ModelbayError | null = null;
    try { m.planRoom('cuda:0', 200 * MiB, { slot: 'E1' }); } catch (e) { err = e as ModelbayError; }
    expect(err?.code).toBe('EMB-E003');
    expect(String(err?.details['suggestion'])).toMatch(/raise the budget to at least 200\.0 MiB/);
  });

  it('commit replaces the estimate by the measurement, even above the budget', () => {
    const m = mgr(1000);
    m.reserve('E1', 'cuda:0', 300);
    expect(m.commit('E1', 450)).toBe(150);
    expect(m.pressure('cuda:0').allocatedBytes).toBe(450);
    expect(m.commit('E1', 1200)).toBe(750);
    expect(m.pressure('cuda:0').level).toBe('Critical');
    expect(m.release('E1')).toBe(1200);
    expect(m.pressure('cuda:0').allocatedBytes).toBe(0);
  });

  it('planRoom names the least recently touched unpinned slots, and only as many as needed', () => {
    let t = 0;
    const m = new SlotManager({ devices: [{ device: 'cuda:0', budgetBytes: 1000 }], now: () => ++t });
    m.reserve('E1', 'cuda:0', 300);
    m.reserve('E2', 'cuda:0', 300);
    m.reserve('E3', 'cuda:0', 300);
    m.touch('E1'); // E2 is now the least recently used
    const plan = m.planRoom('cuda:0', 200);
    expect(plan.victims).toEqual(['E2']);
    expect(plan.freedBytes).toBe(300);
    expect(m.planRoom('cuda:0', 700).victims).toEqual(['E2', 'E3']);
    expect(m.planRoom('cuda:0', 50).victims).toEqual([]);
    // planning changes nothing
    expect(m.loadedCount()).toBe(3);
  });

  it('a pinned slot is never chosen, even when it is the least recently used', () => {
    const m = mgr(1000);
    m.reserve('E1', 'cuda:0', 500);
    m.reserve('E2', 'cuda:0', 400);
    m.pin('E1');
    expect(m.planRoom('cuda:0', 400).victims).toEqual(['E2']);
    expect(codeOf(() => m.planRoom('cuda:0', 600))).toBe('EMB-E003');
    expect(m.evictionCandidates('cuda:0').map((a) => a.slot)).toEqual(['E2']);
  });

  it('planRoom skips excluded (busy) slots', () => {
    const m = mgr(1000);
    m.reserve('E1', 'cuda:0', 500);
    m.reserve('E2', 'cuda:0', 500);
    expect(m.planRoom('cuda:0', 400, { exclude: new Set<SlotId>(['E1']) }).victims).toEqual(['E2']);
  });

  it('planRelief evicts LRU until the device is below Critical', () => {
    const m = mgr(1000);
    m.reserve('E1', 'cuda:0', 400);
    m.reserve('E2', 'cuda:0', 300);
    m.reserve('E3', 'cuda:0', 200);
    expect(m.planRelief('cuda:0')).toEqual([]);
    m.commit('E3', 290); // 990 / 1000 = 99 %
    expect(m.pressure('cuda:0').level).toBe('Critical');
    expect(m.planRelief('cuda:0')).toEqual(['E1']);
    m.pin('E1');
    expect(m.planRelief('cuda:0')).toEqual(['E2']);
  });

  it('real free device memory limits a reservation even when the budget has room', () => {
    const m = mgr(1000);
    m.setDeviceFree('cuda:0', 100);
    expect(m.available('cuda:0')).toBe(100);
    let err: ModelbayError | null = null;
    try { m.reserve('E1', 'cuda:0', 200); } catch (e) { err = e as ModelbayError; }
    expect(err?.code).toBe('EMB-E003');
    expect(String(err?.details['suggestion'])).toContain('Other processes');
    m.setDeviceFree('cuda:0', null);
    m.reserve('E1', 'cuda:0', 200);
  });

  it('classifies pressure at the default thresholds 50 / 80 / 95 %', () => {
    expect(pressureLevel(0, DEFAULT_THRESHOLDS)).toBe('Low');
    expect(pressureLevel(0.4999, DEFAULT_THRESHOLDS)).toBe('Low');
    expect(pressureLevel(0.5, DEFAULT_THRESHOLDS)).toBe('Medium');
    expect(pressureLevel(0.8, DEFAULT_THRESHOLDS)).toBe('High');
    expect(pressureLevel(0.9499, DEFAULT_THRESHOLDS)).toBe('High');
    expect(pressureLevel(0.95, DEFAULT_THRESHOLDS)).toBe('Critical');
    const m = new SlotManager({ devices: [{ device: 'cpu', budgetBytes: 100 }], thresholds: { low: 0.1, medium: 0.2, high: 0.3 } });
    m.reserve('E1', 'cpu', 25);
    expect(m.pressure('cpu').level).toBe('High');
  });

  describe('bad input: a clear code and the state unchanged', () => {
    it.each([
      ['unknown slot', (m: SlotManager) => m.reserve('E14' as SlotId, 'cuda:0', 1), 'EMB-E001'],
      ['lower-case slot', (m: SlotManager) => m.pin('e1' as SlotId), 'EMB-E001'],
      ['negative size', (m: SlotManager) => m.reserve('E1', 'cuda:0', -1), 'EMB-E002'],
      ['NaN size', (m: SlotManager) => m.reserve('E1', 'cuda:0', Number.NaN), 'EMB-E002'],
      ['fractional size', (m: SlotManager) => m.reserve('E1', 'cuda:0', 1.5), 'EMB-E002'],
      ['huge size', (m: SlotManager) => m.reserve('E1', 'cuda:0', 2 ** 60), 'EMB-E002'],
      ['Infinity', (m: SlotManager) => m.planRoom('cuda:0', Infinity), 'EMB-E002'],
      ['zero budget', (m: SlotManager) => m.setBudget('cuda:0', 0), 'EMB-E002'],
      ['unknown device', (m: SlotManager) => m.reserve('E1', 'cuda:7', 1), 'EMB-E008'],
      ['malformed device', (m: SlotManager) => m.addDevice('gpu0', 1), 'EMB-E008'],
      ['thresholds out of order', (m: SlotManager) => m.setThresholds({ low: 0.8, medium: 0.5, high: 0.95 }), 'EMB-E002'],
      ['thresholds above 1', (m: SlotManager) => m.setThresholds({ low: 0.5, medium: 0.8, high: 1.5 }), 'EMB-E002'],
      ['release of a slot that holds nothing', (m: SlotManager) => m.release('E5'), 'EMB-E005'],
      ['double reservation', (m: SlotManager) => m.reserve('E1', 'cuda:0', 1), 'EMB-E007'],
    ] as const)('%s', (_name, act, code) => {
      const m = mgr(1000);
      m.reserve('E1', 'cuda:0', 100);
      const before = JSON.stringify(m.snapshots());
      expect(codeOf(() => act(m))).toBe(code);
      expect(JSON.stringify(m.snapshots())).toBe(before);
    });

    it('a zero budget is refused at construction', () => {
      expect(codeOf(() => new SlotManager({ devices: [{ device: 'cpu', budgetBytes: 0 }] }))).toBe('EMB-E002');
    });
  });
});
