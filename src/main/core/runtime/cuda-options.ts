/**
 * The execution-provider options of a session. For CUDA, what a careful user of
 * onnxruntime sets (its C API names): `gpu_mem_limit` from the slot's reservation with
 * headroom, `arena_extend_strategy: kSameAsRequested` so the arena grows by what is asked
 * and does not double past the limit, `cudnn_conv_algo_search: HEURISTIC` (no exhaustive
 * search with its large trial workspaces), `cudnn_conv_use_max_workspace: 0`, and
 * `do_copy_in_default_stream: 1` (copies ordered with compute, the default kept explicit).
 *
 * onnxruntime-node 1.30 forwards only `deviceId` from JavaScript to the CUDA provider (its
 * typings' CudaExecutionProviderOption has nothing else, and its binding reads nothing
 * else), so the provider entry passes just that; the full set is reported with the load so
 * it is visible, and the limit is kept by Modelbay itself: a session measured above it, or
 * one onnxruntime reports out of memory, fails with EMB-E310 naming the slot and the limit.
 */
import { MiB } from '../../../shared/values/bytes.js';

/** Room above the reservation before a session counts as over its limit. */
export const CUDA_MEMORY_HEADROOM = 1.25;
/** Never a limit below this: the CUDA context and cuBLAS/cuDNN alone take a few hundred MB. */
export const CUDA_MIN_MEMORY_LIMIT_BYTES = 512 * MiB;

/** The arena limit for a reservation: reservation × headroom, whole MiB, at least 512 MiB. */
export function cudaMemoryLimit(reservationBytes: number): number {
  return Math.max(CUDA_MIN_MEMORY_LIMIT_BYTES, Math.ceil((reservationBytes * CUDA_MEMORY_HEADROOM) / MiB) * MiB);
}

export interface CudaProviderOptions {
  device_id: string;
  gpu_mem_limit: string;
  arena_extend_strategy: 'kSameAsRequested';
  cudnn_conv_algo_search: 'HEURISTIC';
  cudnn_conv_use_max_workspace: '0';
  do_copy_in_default_stream: '1';
}

/** The full CUDA provider options for a device index (0 inside a MIG instance) and a memory limit. */
export function cudaProviderOptions(deviceId: number, memoryLimitBytes: number): CudaProviderOptions {
  return {
    device_id: String(deviceId),
    gpu_mem_limit: String(memoryLimitBytes),
    arena_extend_strategy: 'kSameAsRequested',
    cudnn_conv_algo_search: 'HEURISTIC',
    cudnn_conv_use_max_workspace: '0',
    do_copy_in_default_stream: '1',
  };
}

/** The provider list onnxruntime-node gets: for CUDA what its JavaScript API accepts (the device), else the CPU. */
export function executionProviders(provider: 'cuda' | 'cpu', deviceId: number): Array<{ name: 'cuda'; deviceId: number } | 'cpu'> {
  return provider === 'cuda' ? [{ name: 'cuda', deviceId }] : ['cpu'];
}

/** onnxruntime's ways of saying a CUDA allocation failed (arena limit, device full). */
export function isOutOfGpuMemory(message: string): boolean {
  return /out of memory|Failed to allocate memory|BFCArena|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED|CUDA failure 2\b|Available memory of \d+ is smaller than requested/i.test(message);
}
