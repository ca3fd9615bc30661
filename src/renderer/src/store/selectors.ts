/**
 * Read models for the components. Selectors pick stored objects (stable references);
 * the `…View` functions derive display data and are called inside useMemo.
 */
import { parseDeviceId } from '../../../shared/devices/devices.js';
import type { ActivityEntry, ActivityKind } from '../../../shared/contract/activity.js';
import { HISTORY_SECONDS, type HistoryPoint } from '../../../shared/contract/api.js';
import type { CatalogSlotView, DownloadPhase, SlotDownloadProgress, SlotReadiness } from '../../../shared/artifacts/artifacts.js';
import { SLOT_IDS, type SlotId } from '../../../shared/slots/slots.js';
import { BUSY_STATES, type DeviceBudgetSnapshot, type PressureThresholds, type SlotSnapshot } from '../../../shared/slots/state.js';
import type { DashboardState } from './dashboard-store.js';
import type { CommandKey } from './ui-state.js';

export const selectConnected = (s: DashboardState): boolean => s.model.connected;
export const selectRuntime = (s: DashboardState) => s.model.runtime;
export const selectGpu = (s: DashboardState) => s.model.gpu;
export const selectDevices = (s: DashboardState) => s.model.devices;
export const selectReadiness = (s: DashboardState) => s.model.readiness;
export const selectActivity = (s: DashboardState) => s.model.activity;
export const selectDownloads = (s: DashboardState) => s.model.downloads;
export const selectSettings = (s: DashboardState) => s.model.settings;
export const selectHistory = (s: DashboardState) => s.model.history;
export const selectUi = (s: DashboardState) => s.ui;

export const selectSlot = (id: SlotId) => (s: DashboardState): SlotSnapshot | undefined => s.model.slots[id];
export const selectCatalogEntry = (id: SlotId) => (s: DashboardState): CatalogSlotView | undefined => s.model.catalog[id];
export const selectDownload = (id: SlotId) => (s: DashboardState): SlotDownloadProgress | undefined => s.model.downloads[id];
export const selectSlotReadiness = (id: SlotId) => (s: DashboardState): SlotReadiness | undefined =>
  s.model.readiness?.slots.find((r) => r.slot === id);
/** Whether the user chose the slot's model instead of the catalog's. */
export const selectHasOwnSource = (id: SlotId) => (s: DashboardState): boolean => (s.model.settings?.settings.slots[id]?.source ?? null) !== null;
export const selectPending = (key: CommandKey) => (s: DashboardState) => s.ui.pending[key];
export const selectCommandError = (key: CommandKey) => (s: DashboardState) => s.ui.errors[key];

export interface ReadinessSummary {
  ready: number;
  total: number;
  /** Bytes of missing files whose size is known: a lower bound when unknownSlots > 0. */
  missingBytes: number;
  /** Slots with a missing file whose size is not known yet (not resolved on the Hub). */
  unknownSlots: number;
}

/** Files of one slot not present and of unknown size: its total is a lower bound then. */
export function unknownSizeFiles(r: SlotReadiness): number {
  return r.files.filter((f) => !f.present && f.size === null).length;
}

/** The header's "4/13 ready · ≥ 7.9 GB missing · 4 of 13 slots have an unknown size"; null before the first report. */
export function readinessSummary(s: DashboardState): ReadinessSummary | null {
  const r = s.model.readiness;
  if (!r) return null;
  const unknownSlots = r.slots.filter((slot) => unknownSizeFiles(slot) > 0).length;
  return { ready: r.ready, total: r.total, missingBytes: r.missingBytes, unknownSlots };
}

export const ACTIVE_DOWNLOAD_PHASES: readonly DownloadPhase[] = ['queued', 'resolving', 'downloading', 'paused', 'verifying'];

export function isDownloadActive(p: SlotDownloadProgress | undefined): boolean {
  return p !== undefined && ACTIVE_DOWNLOAD_PHASES.includes(p.phase);
}

/** Phases in which a download really runs (the "active" count); queued and paused ones wait. */
export const RUNNING_DOWNLOAD_PHASES: readonly DownloadPhase[] = ['resolving', 'downloading', 'verifying'];

export function isDownloadRunning(p: SlotDownloadProgress | undefined): boolean {
  return p !== undefined && RUNNING_DOWNLOAD_PHASES.includes(p.phase);
}

/** How many rows run and how many wait, for the panel's title. */
export function downloadCounts(rows: readonly SlotDownloadProgress[]): { running: number; queued: number } {
  return { running: rows.filter(isDownloadRunning).length, queued: rows.filter((d) => d.phase === 'queued').length };
}

/** Downloads worth a row: active ones and finished ones that failed, in slot order. */
export function downloadsView(downloads: Partial<Record<SlotId, SlotDownloadProgress>>): SlotDownloadProgress[] {
  const out: SlotDownloadProgress[] = [];
  for (const id of SLOT_IDS) {
    const d = downloads[id];
    if (d && (isDownloadActive(d) || d.phase === 'failed')) out.push(d);
  }
  return out;
}

/** The event log: newest first, optionally one kind only. */
export function activityView(activity: readonly ActivityEntry[], filter: ActivityKind | 'all'): ActivityEntry[] {
  const out: ActivityEntry[] = [];
  for (let i = activity.length - 1; i >= 0; i--) {
    const e = activity[i] as ActivityEntry;
    if (filter === 'all' || e.kind === filter) out.push(e);
  }
  return out;
}

/** Devices that have a budget or a history, cuda first in index order, then cpu. */
export function chartDevices(devices: readonly DeviceBudgetSnapshot[], history: Record<string, HistoryPoint[]>): string[] {
  const set = new Set<string>([...devices.map((d) => d.device), ...Object.keys(history)]);
  return [...set].sort(compareDevices);
}

/** cuda:N in index order (a MIG GPU's instances after it, by id), then cpu. */
export function compareDevices(a: string, b: string): number {
  const rank = (d: string): number => {
    const p = parseDeviceId(d);
    return !p || p.kind === 'cpu' ? 1000 : p.gpuIndex;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The device the chart shows: the user's choice, else the first GPU (its utilisation and
 * temperature history are worth seeing even with every slot on the CPU), else the device
 * most slots are placed on, else the first.
 */
export function chosenChartDevice(devices: readonly string[], chosen: string | null, slotDevices: readonly string[] = []): string | null {
  if (chosen && devices.includes(chosen)) return chosen;
  // A GPU in the machine is what people come to watch: its tab opens first.
  const gpu = devices.find((d) => d.startsWith('cuda:'));
  if (gpu) return gpu;
  const counts = new Map<string, number>();
  for (const d of slotDevices) if (devices.includes(d)) counts.set(d, (counts.get(d) ?? 0) + 1);
  let best: string | null = null;
  for (const [d, n] of counts) if (best === null || n > (counts.get(best) ?? 0)) best = d;
  return best ?? devices[0] ?? null;
}

export type ChartRow = { at: number; used: number | null; budget: number; util?: number | null; temp?: number | null } & Partial<Record<SlotId, number>>;

export interface ChartView {
  rows: ChartRow[];
  /** Slots with bytes anywhere in the window, in slot order: one stacked area each. */
  slots: SlotId[];
  /** The budget when it held one value over the whole window (drawn as reference lines), else null. */
  constantBudget: number | null;
  thresholds: PressureThresholds;
}

/** Points drawn per chart: a 10-minute window needs no more on any screen, and fewer keep renders short. */
export const CHART_MAX_ROWS = 120;

/**
 * Rows for the VRAM chart, at most CHART_MAX_ROWS: the last point of each time bucket,
 * with buckets fixed to the clock so a new point does not shift older rows.
 */
export function chartView(points: readonly HistoryPoint[] | undefined, thresholds: PressureThresholds): ChartView {
  if (!points || points.length === 0) return { rows: [], slots: [], constantBudget: null, thresholds };
  const first = points[0] as HistoryPoint;
  const bucketMs = Math.max(1000, Math.ceil((HISTORY_SECONDS * 1000) / CHART_MAX_ROWS / 1000) * 1000);
  const seen = new Set<SlotId>();
  const rows: ChartRow[] = [];
  let constantBudget: number | null = first.budgetBytes;
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as HistoryPoint;
    if (p.budgetBytes !== constantBudget) constantBudget = null;
    for (const [slot, bytes] of Object.entries(p.slots) as Array<[SlotId, number | undefined]>) if (bytes && bytes > 0) seen.add(slot);
    const next = points[i + 1];
    if (next && Math.floor(next.at / bucketMs) === Math.floor(p.at / bucketMs)) continue;
    const row: ChartRow = { at: p.at, used: p.deviceUsedBytes, budget: p.budgetBytes, util: p.utilizationPct ?? null, temp: p.temperatureC ?? null };
    for (const [slot, bytes] of Object.entries(p.slots) as Array<[SlotId, number | undefined]>) if (bytes !== undefined) row[slot] = bytes;
    rows.push(row);
  }
  const slots = SLOT_IDS.filter((id) => seen.has(id));
  // Stacked areas need a number in every row, or they break into gaps.
  for (const row of rows) for (const id of slots) row[id] ??= 0;
  return { rows, slots, constantBudget, thresholds };
}

export interface SlotActions {
  download: boolean;
  verify: boolean;
  load: boolean;
  evict: boolean;
  pause: boolean;
  resume: boolean;
  cancel: boolean;
}

/**
 * Which buttons make sense now; a command in flight on the slot disables them all —
 * except the `download` command, which stays in flight for the whole download: pause,
 * resume and cancel must work then, as for a download started by "Download & verify all".
 */
export function slotActions(
  slot: SlotSnapshot | undefined,
  catalog: CatalogSlotView | undefined,
  readiness: SlotReadiness | undefined,
  download: SlotDownloadProgress | undefined,
  pending: boolean | string | undefined,
): SlotActions {
  const none: SlotActions = { download: false, verify: false, load: false, evict: false, pause: false, resume: false, cancel: false };
  if (!slot) return none;
  if (pending === 'download') {
    const controls = slotActions(slot, catalog, readiness, download, false);
    return { ...none, pause: controls.pause, resume: controls.resume, cancel: controls.cancel };
  }
  if (pending !== undefined && pending !== false) return none;
  const hasModel = catalog ? catalog.status !== 'none' : readiness?.status !== 'no-model';
  const busy = BUSY_STATES.has(slot.state);
  const active = isDownloadActive(download);
  const filesReady = readiness ? readiness.status === 'ready' : slot.state === 'ready' || slot.state === 'loaded';
  const filesIncomplete = readiness ? ['missing', 'partial', 'failed'].includes(readiness.status) : slot.state === 'missing';
  const phase = download?.phase;
  return {
    download: hasModel && !busy && !active && filesIncomplete && slot.state !== 'loaded',
    verify: hasModel && !busy && !active && (readiness ? readiness.presentBytes > 0 : filesReady) && slot.state !== 'loaded',
    load: hasModel && (slot.state === 'ready' || (slot.state === 'failed' && filesReady)),
    evict: slot.state === 'loaded',
    pause: phase === 'queued' || phase === 'resolving' || phase === 'downloading',
    resume: phase === 'paused' || (phase === 'failed' && hasModel),
    cancel: active,
  };
}
