import { describe, expect, it } from 'vitest';
import type { CatalogSlotView, SlotReadiness } from '../../../../src/shared/artifacts/artifacts.js';
import { createDashboardStore, dispatchEvent } from '../../../../src/renderer/src/store/dashboard-store.js';
import {
  CHART_MAX_ROWS,
  activityView,
  chartDevices,
  chartView,
  chosenChartDevice,
  downloadsView,
  readinessSummary,
  selectSlot,
  slotActions,
  downloadCounts,
  unknownSizeFiles,
} from '../../../../src/renderer/src/store/selectors.js';
import { missingText, unknownSizesTip, unknownSlotsTip } from '../../../../src/renderer/src/display/figures.js';
import type { SlotId } from '../../../../src/shared/slots/slots.js';
import { activityEntry, appSnapshot, downloadProgress, historyPoint, slotSnapshot } from '../snapshot-fixture.js';

const catalog = (status: CatalogSlotView['status']): CatalogSlotView => ({
  slot: 'E1', status, repo: status === 'none' ? null : 'o/r', revision: 'main', variant: 'fp32', files: [], dims: 8, pooling: 'mean', license: 'mit', gated: false, note: null,
});
const readiness = (status: SlotReadiness['status'], presentBytes = 0): SlotReadiness => ({
  slot: 'E1', status, reason: null, code: null, repo: 'o/r', revision: 'main', totalBytes: 100, presentBytes, files: [],
});

describe('selectors', () => {
  it('select one slot from the store and the readiness summary', () => {
    const store = createDashboardStore();
    expect(readinessSummary(store.getState())).toBeNull();
    dispatchEvent(store, { type: 'snapshot', snapshot: appSnapshot({ readiness: { at: 1, ready: 4, total: 13, totalBytes: 9e9, presentBytes: 1.1e9, missingBytes: 7.9e9, computeMs: 2, slots: [] } }) });
    expect(readinessSummary(store.getState())).toEqual({ ready: 4, total: 13, missingBytes: 7.9e9, unknownSlots: 0 });
    expect(selectSlot('E9')(store.getState())?.name).toBe('Hdc');
  });

  it('counts slots with a missing file of unknown size, so "4 of 13 slots" reads honestly next to the lower-bound total', () => {
    const file = (path: string, size: number | null, present = false) => ({ path, size, present, verified: present });
    const slot = (id: SlotId, repo: string, files: SlotReadiness['files']): SlotReadiness => ({ ...readiness('missing'), slot: id, repo, files });
    const slots = [
      slot('E1', 'a/one', [file('model.onnx', null), file('tokenizer.json', 711_396)]),
      // E2 and E3 share one stand-in: each slot still lacks it, so both count.
      slot('E2', 'b/shared', [file('onnx/model.onnx', null), file('tokenizer.json', null, true)]),
      slot('E3', 'b/shared', [file('onnx/model.onnx', null), file('tokenizer.json', null, true)]),
      slot('E4', 'c/known', [file('model.onnx', 90_000_000)]),
      // Two unknown files in one slot are still one slot.
      slot('E5', 'd/two', [file('a.onnx', null), file('b.onnx', null)]),
    ];
    const store = createDashboardStore();
    dispatchEvent(store, { type: 'snapshot', snapshot: appSnapshot({ readiness: { at: 1, ready: 0, total: 13, totalBytes: 90_711_396, presentBytes: 0, missingBytes: 90_711_396, computeMs: 1, slots } }) });
    const summary = readinessSummary(store.getState());
    expect(summary).toEqual({ ready: 0, total: 13, missingBytes: 90_711_396, unknownSlots: 4 });
    expect(missingText(summary?.missingBytes ?? 0, summary?.unknownSlots ?? 0, 13)).toBe('≥ 90.7 MB missing · 4 of 13 slots have an unknown size');
    expect(unknownSlotsTip(4)).toMatch(/^4 slots have missing files .* resolved on the Hub/);
    expect(unknownSizesTip(2)).toMatch(/resolved on the Hub/);
    expect(unknownSizeFiles(slots[0] as SlotReadiness)).toBe(1);
    expect(unknownSizeFiles(slots[3] as SlotReadiness)).toBe(0);
    expect(missingText(90_900_000, 0, 13)).toBe('90.9 MB missing');
    expect(missingText(0, 0, 13)).toBe('nothing missing');
    expect(missingText(0, 1, 13)).toBe('1 of 13 slots has an unknown size');
    expect(unknownSlotsTip(0)).toBeUndefined();
  });

  it('lists the event log newest first and filters by kind', () => {
    const log = [activityEntry(1, 'loaded'), activityEntry(2, 'evicted'), activityEntry(3, 'loaded')];
    expect(activityView(log, 'all').map((e) => e.at)).toEqual([3, 2, 1]);
    expect(activityView(log, 'loaded').map((e) => e.at)).toEqual([3, 1]);
    expect(activityView(log, 'pressure')).toEqual([]);
  });

  it('shows active and failed downloads in slot order, not finished ones', () => {
    const rows = downloadsView({
      E10: downloadProgress('E10'),
      E2: downloadProgress('E2', { phase: 'paused' }),
      E3: downloadProgress('E3', { phase: 'done' }),
      E4: downloadProgress('E4', { phase: 'failed' }),
      E5: downloadProgress('E5', { phase: 'cancelled' }),
    });
    expect(rows.map((d) => d.slot)).toEqual(['E2', 'E4', 'E10']);
  });

  it('orders chart devices cuda by index then cpu, and falls back to the first', () => {
    const devices = chartDevices([], { cpu: [], 'cuda:10': [], 'cuda:2': [] });
    expect(devices).toEqual(['cuda:2', 'cuda:10', 'cpu']);
    // MIG instances sort with their GPU, by id, before the next GPU.
    expect(chartDevices([], { cpu: [], 'cuda:1': [], 'cuda:0/mig:3g.40gb:00000000': [], 'cuda:0/mig:1g.10gb:00000002': [] }))
      .toEqual(['cuda:0/mig:1g.10gb:00000002', 'cuda:0/mig:3g.40gb:00000000', 'cuda:1', 'cpu']);
    expect(chosenChartDevice(devices, 'cpu')).toBe('cpu');
    expect(chosenChartDevice(devices, 'cuda:7')).toBe('cuda:2');
    expect(chosenChartDevice([], null)).toBeNull();
    // No choice yet: the GPU when there is one, even with most slots on the CPU.
    expect(chosenChartDevice(['cuda:0', 'cpu'], null, ['cpu', 'cpu', 'cuda:0'])).toBe('cuda:0');
    expect(chosenChartDevice(['cpu'], null, ['cpu'])).toBe('cpu');
    expect(chosenChartDevice(['cuda:0', 'cpu'], null, ['cuda:0'])).toBe('cuda:0');
  });

  it('builds chart rows with only the slots that held memory, zero-filled for stacking', () => {
    const t = { low: 0.5, medium: 0.8, high: 0.95 };
    const view = chartView([historyPoint(1_000, 'cuda:0', { E3: 0, E1: 500 }), historyPoint(10_000, 'cuda:0', { E10: 200 })], t);
    expect(view.slots).toEqual(['E1', 'E10']);
    expect(view.rows[0]).toMatchObject({ at: 1_000, used: 2000, budget: 8000, E1: 500, E10: 0 });
    expect(view.constantBudget).toBe(8000);
    expect(chartView(undefined, t)).toEqual({ rows: [], slots: [], constantBudget: null, thresholds: t });
  });

  it('thins ten minutes of points to at most CHART_MAX_ROWS, keeping the newest and older rows stable', () => {
    const t = { low: 0.5, medium: 0.8, high: 0.95 };
    const points = Array.from({ length: 600 }, (_, i) => historyPoint(1_000_000 + i * 1000));
    const view = chartView(points, t);
    expect(view.rows.length).toBeLessThanOrEqual(CHART_MAX_ROWS);
    expect(view.rows.length).toBeGreaterThan(CHART_MAX_ROWS / 2);
    expect(view.rows[view.rows.length - 1]?.at).toBe(points[599]?.at);
    const next = chartView([...points.slice(1), historyPoint(1_600_000)], t);
    // A new point changes only the newest bucket: earlier rows keep their timestamps.
    const nextAts = new Set(next.rows.map((r) => r.at));
    expect(view.rows.slice(1, -1).every((r) => nextAts.has(r.at))).toBe(true);
    const changing = chartView([historyPoint(1), { ...historyPoint(9_000), budgetBytes: 4000 }], t);
    expect(changing.constantBudget).toBeNull();
  });
});

describe('slotActions', () => {
  it('ready slot: load and verify, no download or evict', () => {
    const a = slotActions(slotSnapshot('E1', { state: 'ready' }), catalog('real'), readiness('ready', 100), undefined, false);
    expect(a).toMatchObject({ load: true, verify: true, download: false, evict: false });
  });

  it('missing slot: download only; no model: nothing', () => {
    expect(slotActions(slotSnapshot('E1'), catalog('real'), readiness('missing'), undefined, false)).toMatchObject({ download: true, verify: false, load: false, evict: false });
    expect(Object.values(slotActions(slotSnapshot('E1'), catalog('none'), readiness('no-model'), undefined, false)).some(Boolean)).toBe(false);
  });

  it('loaded slot: evict only', () => {
    const a = slotActions(slotSnapshot('E1', { state: 'loaded' }), catalog('real'), readiness('ready', 100), undefined, false);
    expect(a).toMatchObject({ evict: true, load: false, download: false, verify: false });
  });

  it('downloading: pause and cancel; paused: resume and cancel', () => {
    const s = slotSnapshot('E1', { state: 'downloading' });
    expect(slotActions(s, catalog('real'), readiness('partial', 10), downloadProgress('E1'), false)).toMatchObject({ pause: true, resume: false, cancel: true, download: false });
    expect(slotActions(s, catalog('real'), readiness('partial', 10), downloadProgress('E1', { phase: 'paused' }), false)).toMatchObject({ pause: false, resume: true, cancel: true });
  });

  it('failed load with files present: load again; a command in flight disables everything', () => {
    const failed = slotSnapshot('E1', { state: 'failed' });
    expect(slotActions(failed, catalog('real'), readiness('ready', 100), undefined, false).load).toBe(true);
    expect(slotActions(failed, catalog('real'), readiness('failed', 100), undefined, false)).toMatchObject({ load: false, download: true, verify: true });
    expect(Object.values(slotActions(failed, catalog('real'), readiness('ready', 100), undefined, true)).some(Boolean)).toBe(false);
  });

  it('a download started from the slot card (its command still in flight) can be paused, resumed and cancelled (#10)', () => {
    const s = slotSnapshot('E1', { state: 'downloading' });
    const running = slotActions(s, catalog('real'), readiness('partial', 10), downloadProgress('E1'), 'download');
    expect(running).toMatchObject({ pause: true, cancel: true, download: false, verify: false, load: false });
    const retrying = downloadProgress('E1', { retry: { attempt: 2, of: 6, code: 'EMB-E121', message: 'closed', nextAt: 1 } });
    expect(slotActions(s, catalog('real'), readiness('partial', 10), retrying, 'download')).toMatchObject({ pause: true, cancel: true });
    expect(slotActions(s, catalog('real'), readiness('partial', 10), downloadProgress('E1', { phase: 'queued' }), 'download')).toMatchObject({ pause: true, cancel: true });
    expect(slotActions(s, catalog('real'), readiness('partial', 10), downloadProgress('E1', { phase: 'paused' }), 'download')).toMatchObject({ resume: true, cancel: true });
    // Any other command in flight still disables everything.
    expect(Object.values(slotActions(s, catalog('real'), readiness('partial', 10), downloadProgress('E1'), 'verify')).some(Boolean)).toBe(false);
  });
});

describe('download counts (#10)', () => {
  it('active counts what runs; queued and paused downloads are not active', () => {
    const rows = [downloadProgress('E1'), downloadProgress('E2', { phase: 'queued' }), downloadProgress('E3', { phase: 'queued' }), downloadProgress('E4', { phase: 'paused' }), downloadProgress('E5', { phase: 'verifying' })];
    expect(downloadCounts(rows)).toEqual({ running: 2, queued: 2 });
  });
});
