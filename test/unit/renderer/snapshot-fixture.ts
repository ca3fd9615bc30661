/** Small, fully typed app data for renderer unit tests. */
import type { ActivityEntry } from '../../../src/shared/contract/activity.js';
import type { AppSnapshot, HistoryPoint } from '../../../src/shared/contract/api.js';
import type { SlotDownloadProgress } from '../../../src/shared/artifacts/artifacts.js';
import { defaultSettings } from '../../../src/shared/settings/settings.js';
import { SLOT_IDS, SLOT_NAMES, type SlotId } from '../../../src/shared/slots/slots.js';
import type { SlotSnapshot } from '../../../src/shared/slots/state.js';

export function slotSnapshot(id: SlotId, change: Partial<SlotSnapshot> = {}): SlotSnapshot {
  return {
    id, name: SLOT_NAMES[id], state: 'missing', error: null, health: 'unknown', pinned: false, preload: false, device: 'cuda:0',
    estimateBytes: 100_000_000, measuredBytes: null, lastUsedAt: null, useCount: 0, loadCount: 0, failures: 0, idleTtlMs: null,
    loadedAt: null, lastLoadMs: null, ...change,
  };
}

export function historyPoint(at: number, device = 'cuda:0', slots: HistoryPoint['slots'] = { E1: 1000 }): HistoryPoint {
  return { at, device, budgetBytes: 8000, allocatedBytes: 1000, deviceUsedBytes: 2000, deviceTotalBytes: 16000, slots };
}

export function activityEntry(at: number, kind: ActivityEntry['kind'] = 'info', slot: SlotId | null = 'E1'): ActivityEntry {
  return { at, kind, slot, message: `${slot ?? '-'} ${kind} at ${at}` };
}

export function downloadProgress(slot: SlotId, change: Partial<SlotDownloadProgress> = {}): SlotDownloadProgress {
  return { slot, phase: 'downloading', bytes: 10, total: 100, speedBps: 5, etaSeconds: 18, files: [], error: null, retry: null, ...change };
}

export function appSnapshot(change: Partial<AppSnapshot> = {}): AppSnapshot {
  return {
    at: 1_000_000,
    runtime: { mode: 'headless', version: '0.1.0', cudaProvider: true, platform: 'linux-x64', hosts: [] },
    slots: SLOT_IDS.map((id) => slotSnapshot(id)),
    catalog: [],
    devices: [],
    gpu: null,
    downloads: [],
    readiness: null,
    activity: [],
    stats: { loaded: 0, bytes: 0, loads: 0, unloads: 0, hits: 0, failures: 0, evictions: 0 },
    settings: { settings: defaultSettings(), token: { set: false, source: null, encrypted: false }, cacheDir: '/tmp/hub', endpoint: 'https://huggingface.co', offline: false },
    history: [],
    disk: { scanning: false, report: null, error: null },
    usage: [],
    updates: { checking: false, lastCheckAt: null, slots: [] },
    ...change,
  };
}
