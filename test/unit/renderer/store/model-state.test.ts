import { describe, expect, it } from 'vitest';
import { ACTIVITY_LIMIT, HISTORY_SECONDS, type AppEvent } from '../../../../src/shared/contract/api.js';
import { applyEvent, emptyModelState, type ModelState } from '../../../../src/renderer/src/store/model-state.js';
import { activityEntry, appSnapshot, downloadProgress, historyPoint, slotSnapshot } from '../snapshot-fixture.js';

function connected(): ModelState {
  return applyEvent(emptyModelState(), { type: 'snapshot', snapshot: appSnapshot() });
}

describe('applyEvent', () => {
  it('a snapshot replaces everything and marks the state connected', () => {
    const before = applyEvent(connected(), { type: 'slot', slot: slotSnapshot('E3', { state: 'loaded' }) });
    const after = applyEvent(before, {
      type: 'snapshot',
      snapshot: appSnapshot({ downloads: [downloadProgress('E2')], history: [historyPoint(5000)], activity: [activityEntry(2), activityEntry(1)] }),
    });
    expect(after.connected).toBe(true);
    expect(after.slots.E3?.state).toBe('missing');
    expect(Object.keys(after.slots)).toHaveLength(13);
    expect(after.downloads.E2?.bytes).toBe(10);
    expect(after.history['cuda:0']).toHaveLength(1);
    // The log is kept oldest first whatever order the snapshot used.
    expect(after.activity.map((e) => e.at)).toEqual([1, 2]);
  });

  it('a slot delta replaces that slot only and keeps the other slot objects', () => {
    const before = connected();
    const after = applyEvent(before, { type: 'slot', slot: slotSnapshot('E8', { state: 'loading' }) });
    expect(after.slots.E8?.state).toBe('loading');
    expect(after.slots.E1).toBe(before.slots.E1);
    expect(before.slots.E8?.state).toBe('missing');
  });

  it('download progress merges by slot', () => {
    let s = connected();
    s = applyEvent(s, { type: 'download', progress: downloadProgress('E6', { bytes: 10 }) });
    s = applyEvent(s, { type: 'download', progress: downloadProgress('E7', { bytes: 20 }) });
    const e7 = s.downloads.E7;
    s = applyEvent(s, { type: 'download', progress: downloadProgress('E6', { bytes: 50, phase: 'paused' }) });
    expect(s.downloads.E6).toMatchObject({ bytes: 50, phase: 'paused' });
    expect(s.downloads.E7).toBe(e7);
  });

  it('replaces devices, gpu, readiness, catalog, settings, stats and runtime', () => {
    const s = connected();
    const events: AppEvent[] = [
      { type: 'devices', devices: [] },
      { type: 'gpu', sample: { at: 1, available: false, reason: 'no driver', gpus: [], processes: [] } },
      { type: 'readiness', report: { at: 1, ready: 4, total: 13, totalBytes: 10, presentBytes: 4, missingBytes: 6, computeMs: 1, slots: [] } },
      { type: 'catalog', catalog: [{ slot: 'E5', status: 'none', repo: null, revision: null, variant: null, files: [], dims: 768, pooling: null, license: null, gated: false, note: 'x' }] },
      { type: 'stats', stats: { loaded: 2, bytes: 5, loads: 3, unloads: 1, hits: 9, failures: 0, evictions: 1 } },
      { type: 'runtime', runtime: { mode: 'electron', version: '9', cudaProvider: false, platform: 'win32-x64', hosts: [] } },
    ];
    const after = events.reduce(applyEvent, s);
    expect(after.gpu?.reason).toBe('no driver');
    expect(after.readiness?.ready).toBe(4);
    expect(after.catalog.E5?.status).toBe('none');
    expect(after.stats?.loaded).toBe(2);
    expect(after.runtime?.mode).toBe('electron');
    const settings = applyEvent(after, { type: 'settings', settings: { ...(s.settings as NonNullable<ModelState['settings']>), offline: true } });
    expect(settings.settings?.offline).toBe(true);
  });

  it('keeps the activity log bounded to ACTIVITY_LIMIT, dropping the oldest', () => {
    let s = connected();
    for (let i = 0; i < ACTIVITY_LIMIT + 25; i++) s = applyEvent(s, { type: 'activity', entry: activityEntry(i) });
    expect(s.activity).toHaveLength(ACTIVITY_LIMIT);
    expect(s.activity[0]?.at).toBe(25);
    expect(s.activity[ACTIVITY_LIMIT - 1]?.at).toBe(ACTIVITY_LIMIT + 24);
  });

  it('keeps HISTORY_SECONDS of history per device, by time', () => {
    let s = connected();
    for (let i = 0; i < HISTORY_SECONDS + 100; i++) {
      s = applyEvent(s, { type: 'history', points: [historyPoint(i * 1000, 'cuda:0'), historyPoint(i * 1000, 'cpu')] });
    }
    const gpu = s.history['cuda:0'] ?? [];
    expect(gpu.length).toBeLessThanOrEqual(HISTORY_SECONDS);
    expect(gpu[gpu.length - 1]?.at).toBe((HISTORY_SECONDS + 99) * 1000);
    expect((gpu[gpu.length - 1]?.at ?? 0) - (gpu[0]?.at ?? 0)).toBeLessThan(HISTORY_SECONDS * 1000);
    expect(s.history.cpu?.length).toBe(gpu.length);
  });

  it('drops history older than the window even when points are sparse, and sorts late points in', () => {
    let s = connected();
    s = applyEvent(s, { type: 'history', points: [historyPoint(0), historyPoint(10_000)] });
    s = applyEvent(s, { type: 'history', points: [historyPoint(5_000)] });
    expect(s.history['cuda:0']?.map((p) => p.at)).toEqual([0, 5_000, 10_000]);
    s = applyEvent(s, { type: 'history', points: [historyPoint(HISTORY_SECONDS * 1000 + 7_000)] });
    expect(s.history['cuda:0']?.map((p) => p.at)).toEqual([10_000, HISTORY_SECONDS * 1000 + 7_000]);
  });

  it('ignores event types it does not know, returning the same state', () => {
    const s = connected();
    const unknown = { type: 'telemetry-v2', payload: 1 } as unknown as AppEvent;
    expect(applyEvent(s, unknown)).toBe(s);
  });

  it('does not mutate the state it is given', () => {
    const s = connected();
    const frozen = JSON.stringify(s);
    applyEvent(s, { type: 'activity', entry: activityEntry(5) });
    applyEvent(s, { type: 'history', points: [historyPoint(5)] });
    applyEvent(s, { type: 'slot', slot: slotSnapshot('E1', { state: 'loaded' }) });
    expect(JSON.stringify(s)).toBe(frozen);
  });
});
