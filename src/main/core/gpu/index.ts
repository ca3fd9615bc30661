/** GPU telemetry's public surface for src/main/app/app.ts. */
export { GpuMonitor, type GpuMonitorOptions, type GpuSampleListener, type MonitorTimers, type SpawnFn } from './gpu-monitor.js';
export {
  applyGpuSample, defaultGpuBudget, deviceBudget, deviceMemory, findDevice, gpuDeviceId, gpuDevices, isMigGpu, migDeviceId, MigDirectory,
  DEFAULT_GPU_BUDGET_BYTES, type DeviceMemory, type DeviceTarget,
} from './gpu-devices.js';
export { locateNvidiaSmi, type LocateOptions } from './nvidia-smi-locate.js';
export { GPU_QUERY_FIELDS, PROCESS_QUERY_FIELDS, parseGpuLine, parseProcessLines, parseProcessOutput, parseNumber } from './nvidia-smi-csv.js';
export { joinMigInstances, parseMigList, parseMigQuery } from './nvidia-smi-mig.js';
