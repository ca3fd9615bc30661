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
}
