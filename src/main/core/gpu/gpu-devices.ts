/**
 * From GPU samples to the slot manager's devices: each GPU becomes `cuda:N` with a
 * budget, and its free VRAM (other processes count) is kept current. A GPU in MIG mode is
 * not one device but several: each MIG instance becomes `cuda:N/mig:<profile>:<key>` with
 * the instance's memory, and `cuda:N` itself is not offered (CUDA cannot use the whole GPU
 * then, and its free memory is not what a slot on one instance can get). When the GPUs are
 * unknown, free memory becomes unknown too rather than stale.
 */
import { GiB } from '../../../shared/values/bytes.js';
import { migDeviceId, parseDeviceId } from '../../../shared/devices/devices.js';
import { ModelbayError } from '../../../shared/errors/errors.js';
import type { GpuInfo, GpuSample, MigInstance } from '../../../shared/devices/gpu.js';
import type { DeviceId } from '../../../shared/slots/state.js';
import { profileMemoryBytes } from './nvidia-smi-mig.js';

export const DEFAULT_GPU_BUDGET_BYTES = 8 * GiB;

/** The part of the SlotManager this needs. */
export interface DeviceTarget {
  hasDevice(device: DeviceId): boolean;
  addDevice(device: DeviceId, budgetBytes?: number): void;
  setDeviceFree(device: DeviceId, freeBytes: number | null): void;
  listDevices(): DeviceId[];
}

/** What a budget is computed from: a GPU or a MIG instance. */
export type DeviceMemory = Pick<GpuInfo, 'memoryTotalBytes' | 'memoryReservedBytes'>;

export function gpuDeviceId(gpu: Pick<GpuInfo, 'index'>): DeviceId {
  return `cuda:${gpu.index}`;
}

export { migDeviceId };

export function isMigGpu(gpu: Pick<GpuInfo, 'migMode'>): boolean {
  return /^enabled$/i.test(gpu.migMode ?? '');
}

/** The devices a sample offers, in order: whole GPUs, or for a MIG GPU its instances. */
export function gpuDevices(sample: GpuSample): DeviceId[] {
  if (!sample.available) return [];
  return sample.gpus.flatMap((g) => (isMigGpu(g) ? (g.migInstances ?? []).map(migDeviceId) : [gpuDeviceId(g)]));
}

/** What the device can hand out: total − reserved; for a MIG instance not yet measured, its profile's size. */
function usableBytes(mem: DeviceMemory, profile: string | null = null): number | null {
  const usable = mem.memoryTotalBytes === null ? null : mem.memoryTotalBytes - (mem.memoryReservedBytes ?? 0);
  return usable !== null && usable > 0 ? usable : profileMemoryBytes(profile);
}

/** Default budget: 8 GiB, but never more than what the GPU can hand out (total − reserved). */
export function defaultGpuBudget(gpu: DeviceMemory): number {
  return Math.min(DEFAULT_GPU_BUDGET_BYTES, usableBytes(gpu) ?? DEFAULT_GPU_BUDGET_BYTES);
}

/** The GPU (and MIG instance) a device id names in a sample, or null. */
export function findDevice(sample: GpuSample | null, device: DeviceId): { gpu: GpuInfo; mig: MigInstance | null } | null {
  const d = parseDeviceId(device);
  if (!sample?.available || !d || d.kind === 'cpu') return null;
  const gpu = sample.gpus.find((g) => g.index === d.gpuIndex);
  if (!gpu) return null;
  if (d.kind === 'gpu') return isMigGpu(gpu) ? null : { gpu, mig: null };
  const mig = (gpu.migInstances ?? []).find((i) => migDeviceId(i) === device);
  return mig ? { gpu, mig } : null;
}

/** A device's memory figures in a sample (the instance's for MIG); all null when unknown. */
export function deviceMemory(sample: GpuSample | null, device: DeviceId): { usedBytes: number | null; totalBytes: number | null; freeBytes: number | null } {
  const found = findDevice(sample, device);
  const m = found?.mig ?? found?.gpu;
  return { usedBytes: m?.memoryUsedBytes ?? null, totalBytes: m?.memoryTotalBytes ?? null, freeBytes: m?.memoryFreeBytes ?? null };
}

/** A device's budget: `budgetFor` (settings or default), never more than a MIG instance can hand out. */
export function deviceBudget(sample: GpuSample | null, device: DeviceId, budgetFor: (mem: DeviceMemory) => number = defaultGpuBudget): number {
  const found = findDevice(sample, device);
  if (!found) return budgetFor({ memoryTotalBytes: null, memoryReservedBytes: null });
  if (!found.mig) return budgetFor(found.gpu);
  const usable = usableBytes(found.mig, found.mig.profile);
  const wanted = budgetFor(found.mig);
  return usable === null ? wanted : Math.min(wanted, usable);
}

/** Apply one sample; new devices are added with their budget. Returns the devices added. */
export function applyGpuSample(target: DeviceTarget, sample: GpuSample, budgetFor: (mem: DeviceMemory) => number = defaultGpuBudget): DeviceId[] {
  const added: DeviceId[] = [];
  const offered = new Set(gpuDevices(sample));
  for (const device of offered) {
    if (!target.hasDevice(device)) {
      target.addDevice(device, deviceBudget(sample, device, budgetFor));
      added.push(device);
    }
    target.setDeviceFree(device, deviceMemory(sample, device).freeBytes);
  }
  // Devices not in this sample (no GPU now, a GPU switched to MIG, an instance destroyed): unknown, not stale.
  for (const d of target.listDevices()) if (d.startsWith('cuda:') && !offered.has(d)) target.setDeviceFree(d, null);
  return added;
}

/**
 * The MIG UUIDs of the instances seen so far, for the session host's CUDA_VISIBLE_DEVICES.
 * Kept across samples so a host can start while nvidia-smi restarts.
 */
export class MigDirectory {
  private readonly uuids = new Map<DeviceId, string>();

  remember(sample: GpuSample): void {
    if (!sample.available) return;
    for (const g of sample.gpus) for (const i of g.migInstances ?? []) this.uuids.set(migDeviceId(i), i.uuid);
  }

  /** The environment for a device's host; throws EMB-E309 for a MIG instance never seen. */
  env(device: DeviceId): Record<string, string> {
    if (parseDeviceId(device)?.kind !== 'mig') return {};
    const uuid = this.uuids.get(device);
    if (!uuid) {
      throw new ModelbayError('EMB-E309', `The MIG instance ${device} is not there: nvidia-smi -L does not list it (it may have been destroyed or recreated). Choose another device.`, { device });
    }
    return { CUDA_VISIBLE_DEVICES: uuid };
  }
}
