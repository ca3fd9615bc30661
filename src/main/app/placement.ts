/**
 * What the settings and the machine imply for placement: budgets, the default device and
 * the one estimator the registry asks before a load. Pure: no events, no state of its own;
 * changing a budget or a device is a registry operation.
 */
import { GiB } from '../../shared/values/bytes.js';
import type { Settings } from '../../shared/settings/settings.js';
import type { SlotId } from '../../shared/slots/slots.js';
import type { DeviceId } from '../../shared/slots/state.js';
import type { ArtifactManager } from '../core/artifacts/manager/types.js';
import { defaultGpuBudget, type DeviceMemory } from '../core/gpu/index.js';
import { estimateSessionBytes, type HostLoadOptions, type ModelShape } from '../core/runtime/index.js';
import { seedEstimateBytes } from '../core/slots/seed.js';

/** The CPU budget when the user set none: the smaller of 8 GiB and half the RAM. */
export function defaultCpuBudget(totalMemoryBytes: number): number {
  return Math.max(64 * 1024 * 1024, Math.min(8 * GiB, Math.floor(totalMemoryBytes / 2)));
}

export function cpuBudget(settings: Settings, totalMemoryBytes: number): number {
  return settings.cpuBudgetBytes ?? defaultCpuBudget(totalMemoryBytes);
}

export function gpuBudget(settings: Settings, gpu: DeviceMemory): number {
  return settings.gpuBudgetBytes ?? defaultGpuBudget(gpu);
}

/**
 * Where a slot goes when the user chose nothing: the first GPU (or, on a MIG GPU, its first
 * instance) when onnxruntime can use CUDA, else the CPU (a GPU without the CUDA provider
 * would only fail with EMB-E201).
 */
export function defaultDevice(cudaProvider: boolean, hasDevice: (device: DeviceId) => boolean, gpuDevices: DeviceId[] = ['cuda:0']): DeviceId {
  const first = gpuDevices.find(hasDevice);
  return cudaProvider && first !== undefined ? first : 'cpu';
}

export interface EstimatorInput {
  artifacts: Pick<ArtifactManager, 'fileBytes'>;
  /** The model's own shape, once its files have been read. */
  shapeOf: (slot: SlotId) => ModelShape | null;
  /** Whether a device's host already holds a CUDA context (charged once per host). */
  hostHasContext: (device: DeviceId) => boolean;
  loadOptions?: HostLoadOptions;
}

/** The one estimate of what a slot needs on a device, from its files and the model's own shape. */
export function createEstimator(input: EstimatorInput): (slot: SlotId, device: DeviceId) => number {
  return (slot, device) => {
    const fileBytes = input.artifacts.fileBytes(slot);
    if (fileBytes === null) return seedEstimateBytes(slot);
    return estimateSessionBytes({
      fileBytes,
      device,
      hostHasContext: input.hostHasContext(device),
      shape: input.shapeOf(slot),
      batchSize: input.loadOptions?.batchSize,
      maxSequenceLength: input.loadOptions?.maxSequenceLength,
    });
  };
}
