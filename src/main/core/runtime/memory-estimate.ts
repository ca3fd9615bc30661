/**
 * What a session will need before it is loaded (the memory budget checks it): the weights (file
 * bytes), an activation allowance that grows with batch × sequence length and is doubled
 * because onnxruntime's arena grows in powers of two, and the CUDA context once per host.
 */
import { MiB } from '../../../shared/values/bytes.js';
import type { DeviceId } from '../../../shared/slots/state.js';
import type { ModelShape } from './model-shape.js';

/** Ollama reserves 457 MiB per GPU; onnxruntime's context + cuBLAS/cuDNN measure 300–500 MB. */
export const CUDA_CONTEXT_BYTES = 457 * MiB;
/** Inference frameworks add about 20 % to the weights (accelerate's estimator). */
export const WEIGHT_OVERHEAD = 0.2;
/**
 * A session's own allocations besides weights and activations (onnxruntime's arena and
 * kernels, the tokenizer): a host's RSS grew 26–28 MiB for the smallest generated models.
 */
export const SESSION_BASE_BYTES = 32 * MiB;

export interface EstimateInput {
  /** Model file plus external data, in bytes. */
  fileBytes: number;
  device: DeviceId;
  /** Whether the device's host already holds a CUDA context (then it is not charged again). */
  hostHasContext?: boolean;
  /** The model's own shape (model-shape.ts); null when not read yet: a BERT-base-like shape is assumed. */
  shape?: ModelShape | null;
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
  const shape = input.shape ?? null;
  const hidden = shape?.hiddenSize ?? 768;
  const heads = shape?.heads ?? Math.max(1, Math.round(hidden / 64));
  const attention = shape ? shape.attentionLayers > 0 : true;
  const e = shape?.elementBytes ?? 4;
  const batch = input.batchSize ?? 32;
  const seq = input.maxSequenceLength ?? 512;
  // With attention, per layer at its peak: ~8 hidden-sized tensors plus the attention
  // scores (heads × seq²); layers run one after another, so one layer's worth is live at a
  // time, doubled because the arena grows in powers of two. Without attention (an
  // embedding table and pooling), a few hidden-sized tensors.
  const perLayer = attention ? batch * seq * (hidden * 8 + heads * seq) * e : batch * seq * hidden * 4 * e;
  // A per-token output wider than the hidden size (SPLADE's vocabulary logits) is live too.
  const output = shape && shape.outputWidth > hidden ? (shape.perTokenOutput ? batch * seq : batch) * shape.outputWidth * e : 0;
  const activation = Math.round((attention ? 2 : 1) * perLayer + output + WEIGHT_OVERHEAD * weights + SESSION_BASE_BYTES);
  const context = input.device.startsWith('cuda:') && !input.hostHasContext ? CUDA_CONTEXT_BYTES : 0;
  return { totalBytes: weights + activation + context, weightsBytes: weights, activationBytes: activation, contextBytes: context };
}

/** The estimate as one number, for the registry's reservation. */
export function estimateSessionBytes(input: EstimateInput): number {
  return estimateSessionMemory(input).totalBytes;
}
