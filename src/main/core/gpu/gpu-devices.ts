/**
 * From GPU samples to the slot manager's devices: each GPU becomes `cuda:N` with a
 * budget, and its free VRAM (other processes count) is kept current. When the GPUs are
 * unknown, free memory becomes unknown too rather than stale.
 */
import { GiB } from '../../../shared/bytes.js';
import type { GpuInfo, GpuSample } from '../../../shared/gpu.js';
import type { DeviceId } from '../../../shared/state.js';

export const DEFAULT_GPU_BUDGET_BYTES = 8 * GiB;

/** The part of the SlotManager this needs. */
export interface DeviceTarget {
  hasDevice(device: DeviceId): boolean;
  addDevice(device: DeviceId, budgetBytes?: number): void;
  setDeviceFree(device: DeviceId, freeBytes: number | null): void;
  listDevices(): DeviceId[];
}

export function gpuDeviceId(gpu: Pick<GpuInfo, 'index'>): DeviceId {
  return `cuda:${gpu.index}`;
}

export function gpuDevices(sample: GpuSample): DeviceId[] {
  return sample.available ? sample.gpus.map(gpuDeviceId) : [];
}

/** Default budget: 8 GiB, but never more than what the GPU can hand out (total − reserved). */
export function defaultGpuBudget(gpu: GpuInfo): number {
  const usable = gpu.memoryTotalBytes === null ? null : gpu.memoryTotalBytes - (gpu.memoryReservedBytes ?? 0);
  return usable !== null && usable > 0 ? Math.min(DEFAULT_GPU_BUDGET_BYTES, usable) : DEFAULT_GPU_BUDGET_BYTES;
}

/** Apply one sample; new GPUs are added with `budgetFor(gpu)`. Returns the devices added. */
export function applyGpuSample(target: DeviceTarget, sample: GpuSample, budgetFor: (gpu: GpuInfo) => number = defaultGpuBudget): DeviceId[] {
  const added: DeviceId[] = [];
  if (!sample.available) {
    for (const d of target.listDevices()) if (d.startsWith('cuda:')) target.setDeviceFree(d, null);
    return added;
  }
  for (const gpu of sample.gpus) {
    const device = gpuDeviceId(gpu);
    if (!target.hasDevice(device)) {
      target.addDevice(device, budgetFor(gpu));
      added.push(device);
    }
    target.setDeviceFree(device, gpu.memoryFreeBytes);
  }
  return added;
}
