/**
 * What a session will need before it is loaded (DESIGN.md, Memory): the weights (file
 * bytes), an activation allowance that grows with batch × sequence length and is doubled
 * because onnxruntime's arena grows in powers of two, and the CUDA context once per host.
 */
import { MiB } from '../../../shared/bytes.js';
import type { DeviceId } from '../../../shared/state.js';

/** Ollama reserves 457 MiB per GPU; onnxruntime's context + cuBLAS/cuDNN measure 300–500 MB. */
export const CUDA_CONTEXT_BYTES = 457 * MiB;
/** Inference frameworks add about 20 % to the weights (accelerate's estimator). */
export const WEIGHT_OVERHEAD = 0.2;

export interface EstimateInput {
  /** Model file plus external data, in bytes. */
  fileBytes: number;
  device: DeviceId;
  /** Whether the device's host already holds a CUDA context (then it is not charged again). */
  hostHasContext?: boolean;
  dims?: number | null;
  batchSize?: number;
  maxSequenceLength?: number;
}

export interface MemoryEstimate {
  totalBytes: number;
  weightsBytes: number;
  activationBytes: number;
  contextBytes: number;
}

export function estimateSessionMemory(input: EstimateInput): MemoryEstimate {
  const weights = Math.max(0, Math.round(input.fileBytes));
  const hidden = input.dims ?? 768;
  const batch = input.batchSize ?? 32;
  const seq = input.maxSequenceLength ?? 512;
  const heads = Math.max(1, Math.round(hidden / 64));
  // Per layer at its peak: ~8 hidden-sized float tensors plus the attention scores
  // (heads × seq²). Layers run one after another, so one layer's worth is live at a time.
  const perLayer = batch * seq * (hidden * 8 + heads * seq) * 4;
  const activation = Math.round(2 * perLayer + WEIGHT_OVERHEAD * weights);
  const context = input.device.startsWith('cuda:') && !input.hostHasContext ? CUDA_CONTEXT_BYTES : 0;
  return { totalBytes: weights + activation + context, weightsBytes: weights, activationBytes: activation, contextBytes: context };
}

/** The estimate as one number, for the registry's reservation. */
export function estimateSessionBytes(input: EstimateInput): number {
  return estimateSessionMemory(input).totalBytes;
}
