/** onnxruntime's failures as Modelbay errors with a remedy. */
import { ModelbayError } from '../../shared/errors/errors.js';

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isCudaProviderMissing(message: string): boolean {
  return /Failed to load shared library|AppendExecutionProvider_Cuda|onnxruntime_providers_cuda|libcudart|libcublas|libcudnn|CUDA (?:driver|runtime) version is insufficient|no CUDA-capable device/i.test(message);
}

/** A failure of InferenceSession.create(). */
export function createError(e: unknown, context: { model: string; provider: 'cuda' | 'cpu'; deviceId: number }): ModelbayError {
  const message = messageOf(e);
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
