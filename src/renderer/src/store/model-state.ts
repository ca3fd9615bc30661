/**
 * The dashboard's copy of the app's state, built only from AppEvents by `applyEvent`.
 * Slots and downloads are kept by id so an event about one slot leaves every other
 * slot object untouched: components that select one slot re-render only for it.
 */
import type { ActivityEntry } from '../../../shared/contract/activity.js';
import type { AppEvent, AppSnapshot, HistoryPoint, RuntimeInfo } from '../../../shared/contract/api.js';
import { ACTIVITY_LIMIT, HISTORY_SECONDS } from '../../../shared/contract/api.js';
import type { CatalogSlotView, ReadinessReport, SlotDownloadProgress } from '../../../shared/artifacts/artifacts.js';
import type { DiskView } from '../../../shared/artifacts/discovery.js';
import type { SlotUsage } from '../../../shared/slots/usage.js';
import type { UpdatesView } from '../../../shared/artifacts/updates.js';
import type { GpuSample } from '../../../shared/devices/gpu.js';
import type { SettingsView } from '../../../shared/settings/settings.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import type { DeviceBudgetSnapshot, RegistryStats, SlotSnapshot } from '../../../shared/slots/state.js';

export interface ModelState {
  /** false until the first snapshot arrives. */
  connected: boolean;
  at: number;
  runtime: RuntimeInfo | null;
  slots: Partial<Record<SlotId, SlotSnapshot>>;
  catalog: Partial<Record<SlotId, CatalogSlotView>>;
  devices: DeviceBudgetSnapshot[];
  gpu: GpuSample | null;
  downloads: Partial<Record<SlotId, SlotDownloadProgress>>;
  readiness: ReadinessReport | null;
  /** Oldest first, at most ACTIVITY_LIMIT entries. */
  activity: ActivityEntry[];
  stats: RegistryStats | null;
  settings: SettingsView | null;
  /** Per device, oldest first, covering at most HISTORY_SECONDS. */
  history: Record<string, HistoryPoint[]>;
  /** What is on disk (HF cache and model folders). */
  disk: DiskView;
  /** Health and usage per slot. */
  usage: Partial<Record<SlotId, SlotUsage>>;
  updates: UpdatesView;
}

export function emptyModelState(): ModelState {
  return {
    connected: false,
    at: 0,
    runtime: null,
    slots: {},
    catalog: {},
    devices: [],
    gpu: null,
    downloads: {},
    readiness: null,
    activity: [],
    stats: null,
    settings: null,
    history: {},
    disk: { scanning: false, report: null, error: null },
    usage: {},
    updates: { checking: false, lastCheckAt: null, slots: [] },
  };
}

function byId<T, K extends string>(items: readonly T[], key: (item: T) => K): Partial<Record<K, T>> {
  const out: Partial<Record<K, T>> = {};
  for (const item of items) out[key(item)] = item;
  return out;
}

function boundActivity(entries: ActivityEntry[]): ActivityEntry[] {
  return entries.length > ACTIVITY_LIMIT ? entries.slice(entries.length - ACTIVITY_LIMIT) : entries;
}

/** Keeps the last HISTORY_SECONDS of one device's points, by time and by count (one point a second). */
function boundHistory(points: HistoryPoint[]): HistoryPoint[] {
  const last = points[points.length - 1];
  if (!last) return points;
  const oldest = last.at - HISTORY_SECONDS * 1000;
  let start = 0;
  while (start < points.length && (points[start] as HistoryPoint).at <= oldest) start++;
  start = Math.max(start, points.length - HISTORY_SECONDS);
  return start > 0 ? points.slice(start) : points;
}

function inTimeOrder(points: readonly HistoryPoint[]): boolean {
  for (let i = 1; i < points.length; i++) if ((points[i - 1] as HistoryPoint).at > (points[i] as HistoryPoint).at) return false;
  return true;
}

function appendHistory(history: Record<string, HistoryPoint[]>, points: readonly HistoryPoint[]): Record<string, HistoryPoint[]> {
  if (points.length === 0) return history;
  const grouped = new Map<string, HistoryPoint[]>();
  for (const p of points) {
    const list = grouped.get(p.device) ?? [];
    list.push(p);
    grouped.set(p.device, list);
  }
  const next = { ...history };
  for (const [device, added] of grouped) {
    const merged = [...(next[device] ?? []), ...added];
    // Points may arrive out of order after a reconnect; the chart needs time order.
    if (!inTimeOrder(merged)) merged.sort((a, b) => a.at - b.at);
    next[device] = boundHistory(merged);
  }
  return next;
}

function fromSnapshot(s: AppSnapshot): ModelState {
  return {
    connected: true,
    at: s.at,
    runtime: s.runtime,
    slots: byId(s.slots, (x) => x.id),
    catalog: byId(s.catalog, (x) => x.slot),
    devices: s.devices,
    gpu: s.gpu,
    downloads: byId(s.downloads, (x) => x.slot),
    readiness: s.readiness,
    activity: boundActivity([...s.activity].sort((a, b) => a.at - b.at)),
    stats: s.stats,
    settings: s.settings,
    history: appendHistory({}, s.history),
    // An older backend sends no disk view.
    disk: s.disk ?? { scanning: false, report: null, error: null },
    usage: byId(s.usage ?? [], (x) => x.slot),
    updates: s.updates ?? { checking: false, lastCheckAt: null, slots: [] },
  };
}

/**
 * The one way the dashboard's data changes. Pure: returns a new state (or the same one
 * when the event changes nothing or is of a type this build does not know).
 */
export function applyEvent(state: ModelState, event: AppEvent): ModelState {
  switch (event.type) {
    case 'snapshot':
      return fromSnapshot(event.snapshot);
    case 'slot':
      return { ...state, slots: { ...state.slots, [event.slot.id]: event.slot } };
    case 'activity':
      return { ...state, activity: boundActivity([...state.activity, event.entry]) };
    case 'stats':
      return { ...state, stats: event.stats };
    case 'devices':
      return { ...state, devices: event.devices };
    case 'gpu':
      return { ...state, gpu: event.sample };
    case 'download':
      return { ...state, downloads: { ...state.downloads, [event.progress.slot]: event.progress } };
    case 'readiness':
      return { ...state, readiness: event.report };
    case 'catalog':
      return { ...state, catalog: byId(event.catalog, (x) => x.slot) };
    case 'settings':
      return { ...state, settings: event.settings };
    case 'history':
      return { ...state, history: appendHistory(state.history, event.points) };
    case 'runtime':
      return { ...state, runtime: event.runtime };
    case 'disk':
      return { ...state, disk: event.disk };
    case 'updates':
      return { ...state, updates: event.updates };
    case 'usage':
      return { ...state, usage: { ...state.usage, [event.usage.slot]: event.usage } };
    default:
      // A newer backend may send event types this dashboard does not know yet.
      return state;
  }
}
