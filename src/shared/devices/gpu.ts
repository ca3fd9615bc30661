/** GPU telemetry as sampled from nvidia-smi. Every figure nvidia-smi cannot give is null ("unknown"), never 0. */

export interface GpuInfo {
  index: number;
  uuid: string;
  name: string;
  memoryTotalBytes: number | null;
  memoryReservedBytes: number | null;
  memoryUsedBytes: number | null;
  memoryFreeBytes: number | null;
  utilizationPct: number | null;
  temperatureC: number | null;
  powerDrawW: number | null;
  powerLimitW: number | null;
  fanPct: number | null;
  smClockMHz: number | null;
  migMode: string | null;
  /** The MIG instances when the GPU is in MIG mode (empty otherwise, or while they are not known yet). */
  migInstances?: MigInstance[];
}

export interface GpuProcess {
  gpuUuid: string;
  /** The GPU's index, joined from its uuid; null when the uuid matches no GPU. */
  gpuIndex: number | null;
  pid: number;
  name: string;
  usedMemoryBytes: number | null;
}

export interface GpuSample {
  at: number;
  /** false when there is no NVIDIA GPU or nvidia-smi cannot be used; `reason` says why. */
  available: boolean;
  reason: string | null;
  gpus: GpuInfo[];
  processes: GpuProcess[];
  /** The monitor's state; `reason` explains it. Absent in samples from older servers. */
  state?: GpuState;
  /** The state's error code (EMB-E301…E307); null when ok. */
  code?: string | null;
  /** A short title saying what happened, e.g. "NVIDIA driver not reachable — retrying". */
  title?: string;
  /** false when the per-process list is unknown (its query failed or printed garbage): `processes` is then empty but means "unknown". */
  processesKnown?: boolean;
  /** Why the process list is unknown (EMB-E308), else null. */
  processesReason?: string | null;
}

/**
 * One MIG instance of a GPU in MIG mode (from `nvidia-smi -L` and `-q`): a device of its
 * own, which CUDA sees as device 0 when `CUDA_VISIBLE_DEVICES` is its UUID.
 */
export interface MigInstance {
  /** The parent GPU's nvidia-smi index. */
  gpuIndex: number;
  /** The MIG device's index on its GPU (`MIG … Device N` in `nvidia-smi -L`). */
  index: number;
  /** e.g. `3g.40gb`; null when nvidia-smi did not say. */
  profile: string | null;
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
  /** `MIG-…`, what CUDA_VISIBLE_DEVICES takes. */
  uuid: string;
  memoryTotalBytes: number | null;
  memoryReservedBytes: number | null;
  memoryUsedBytes: number | null;
  memoryFreeBytes: number | null;
}

/**
 * What the GPU monitor is doing, each with its own error code (null when ok):
 * ok, starting (no sample yet), no-nvidia-smi (EMB-E301), exited (EMB-E302), no-gpu (EMB-E303),
 * driver-lost (EMB-E304), hung (EMB-E305), unreadable (EMB-E306), cannot-start (EMB-E307).
 */
export const GPU_STATES = ['ok', 'starting', 'no-nvidia-smi', 'exited', 'no-gpu', 'driver-lost', 'hung', 'unreadable', 'cannot-start'] as const;
export type GpuState = (typeof GPU_STATES)[number];
