/** onnxruntime's failures as Modelbay errors with a remedy. */
import { formatBytes } from '../../shared/values/bytes.js';
import { ModelbayError } from '../../shared/errors/errors.js';
import { isOutOfGpuMemory } from '../core/runtime/cuda-options.js';

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isCudaProviderMissing(message: string): boolean {
  return /Failed to load shared library|AppendExecutionProvider_Cuda|onnxruntime_providers_cuda|libcudart|libcublas|libcudnn|CUDA (?:driver|runtime) version is insufficient|no CUDA-capable device/i.test(message);
}

/** An out-of-memory failure of a CUDA session (create, warm-up or run) as EMB-E310 with its limit; null for any other failure. */
export function gpuMemoryError(e: unknown, context: { provider: 'cuda' | 'cpu'; deviceId: number; memoryLimitBytes?: number | null }): ModelbayError | null {
  const message = messageOf(e);
  if (context.provider !== 'cuda' || !isOutOfGpuMemory(message)) return null;
  const limit = context.memoryLimitBytes ?? null;
  return new ModelbayError(
    'EMB-E310',
    `onnxruntime ran out of GPU memory on CUDA device ${context.deviceId}${limit === null ? '' : ` (limit ${formatBytes(limit)})`}: ${message}`,
    { deviceId: context.deviceId, limitBytes: limit, reason: message },
  );
}

/** A failure of InferenceSession.create(). */
export function createError(e: unknown, context: { model: string; provider: 'cuda' | 'cpu'; deviceId: number; memoryLimitBytes?: number | null }): ModelbayError {
  const message = messageOf(e);
  const oom = gpuMemoryError(e, context);
  if (oom) return oom;
  if (context.provider === 'cuda' && isCudaProviderMissing(message)) {
    return new ModelbayError(
      'EMB-E201',
      `The CUDA execution provider cannot start on cuda:${context.deviceId}: ${message}. Install the CUDA 12 provider libraries for onnxruntime-node (CUDA 12 + cuDNN 9, or run "npm run fetch-binaries" with network access), or move the slot to the CPU device.`,
      { device: `cuda:${context.deviceId}`, reason: message },
    );
  }
  return new ModelbayError(
    'EMB-E202',
    `onnxruntime cannot load ${context.model}: ${message}. The file is corrupt, truncated or not an ONNX model: verify or download the slot's files again.`,
    { model: context.model, reason: message },
  );
}
