/**
 * The slot life cycle (drawn below) and the figures shown beside it.
 *
 *   missing ─download─▶ downloading ─▶ verifying ─▶ ready ─load─▶ loading ─▶ loaded
 *      ▲                    │              │          ▲                       │
 *      └──── failed(reason) ◀──────────────┴──────────┴──── unloading ◀─evict/unload/TTL
 */
import { DEVICE_ID_PATTERN } from '../devices/devices.js';
import type { SerializedError } from '../errors/errors.js';
import type { SlotId } from './slots.js';

export const SLOT_STATES = ['missing', 'downloading', 'verifying', 'ready', 'loading', 'loaded', 'unloading', 'failed'] as const;
export type SlotState = (typeof SLOT_STATES)[number];

/**
 * Which states hold a slot, one set each, for the main process and the dashboard alike
 * (what the backend refuses, the dashboard greys out).
 * In use: a session holds the slot's files, or is being made or released — unload first.
 */
export const IN_USE_STATES: ReadonlySet<SlotState> = new Set(['loading', 'loaded', 'unloading']);
/** Downloading: a download writes the slot's files, or checks them — pause or cancel first. */
export const DOWNLOAD_STATES: ReadonlySet<SlotState> = new Set(['downloading', 'verifying']);
/** Busy: on the way between two resting states; the slot settles by itself. */
export const BUSY_STATES: ReadonlySet<SlotState> = new Set(['loading', 'unloading', 'downloading', 'verifying']);
/** Files in use: nothing may delete or replace the slot's files now (a session or a download has them). */
export const FILES_IN_USE_STATES: ReadonlySet<SlotState> = new Set([...IN_USE_STATES, ...DOWNLOAD_STATES]);

const has = (set: ReadonlySet<SlotState>, state: string): boolean => (set as ReadonlySet<string>).has(state);
export const isInUse = (state: string): boolean => has(IN_USE_STATES, state);
export const isDownloading = (state: string): boolean => has(DOWNLOAD_STATES, state);
export const isBusy = (state: string): boolean => has(BUSY_STATES, state);
export const filesInUse = (state: string): boolean => has(FILES_IN_USE_STATES, state);

/** Artifact phases are set by the artifact manager; the rest belong to the registry. */
export const ARTIFACT_STATES = ['missing', 'downloading', 'verifying', 'ready', 'failed'] as const;
export type ArtifactState = (typeof ARTIFACT_STATES)[number];

export const HEALTH_STATES = ['unknown', 'healthy', 'degraded', 'unhealthy', 'loading'] as const;
export type Health = (typeof HEALTH_STATES)[number];

/** `cpu`, `cuda:N` or a MIG instance `cuda:N/mig:<profile>:<id>` (the rule is in devices.ts). */
export type DeviceId = string;

export function isDeviceId(value: unknown): value is DeviceId {
  return typeof value === 'string' && DEVICE_ID_PATTERN.test(value);
}

export const PRESSURE_LEVELS = ['Low', 'Medium', 'High', 'Critical'] as const;
export type PressureLevel = (typeof PRESSURE_LEVELS)[number];

/** Upper bounds (fractions of the budget) of Low, Medium and High; Critical is at or above `high`. */
export interface PressureThresholds {
  low: number;
  medium: number;
  high: number;
}

export const DEFAULT_THRESHOLDS: Readonly<PressureThresholds> = { low: 0.5, medium: 0.8, high: 0.95 };

export type EvictionReason = 'lru' | 'critical' | 'manual' | 'idle' | 'host-exit' | 'budget-change';

/** One device's budget as the slot manager sees it. */
export interface DeviceBudgetSnapshot {
  device: DeviceId;
  budgetBytes: number;
  allocatedBytes: number;
  availableBytes: number;
  /** Free memory the device itself reports (other processes count); null when unknown. */
  deviceFreeBytes: number | null;
  ratio: number;
  level: PressureLevel;
  thresholds: PressureThresholds;
  allocations: Array<{ slot: SlotId; bytes: number; measured: boolean; pinned: boolean; lastTouched: number }>;
}

export interface SlotSnapshot {
  id: SlotId;
  name: string;
  state: SlotState;
  /** Why the slot is `failed` (or the last failure while it recovers). */
  error: SerializedError | null;
  health: Health;
  pinned: boolean;
  preload: boolean;
  device: DeviceId;
  estimateBytes: number;
  measuredBytes: number | null;
  lastUsedAt: number | null;
  useCount: number;
  loadCount: number;
  failures: number;
  idleTtlMs: number | null;
  loadedAt: number | null;
  lastLoadMs: number | null;
}

export interface RegistryStats {
  loaded: number;
  bytes: number;
  loads: number;
  unloads: number;
  hits: number;
  failures: number;
  evictions: number;
}
