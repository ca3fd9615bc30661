import { describe, expect, it } from 'vitest';
import { MB } from '../../../../src/shared/values/bytes.js';
import { CUDA_CONTEXT_BYTES, estimateSessionBytes, estimateSessionMemory } from '../../../../src/main/core/runtime/memory-estimate.js';
import { createError, isCudaProviderMissing } from '../../../../src/main/host/ort-errors.js';
import { HostRequestSchema, EmbedResultSchema } from '../../../../src/main/core/runtime/protocol.js';

describe('memory estimate', () => {
  it('is weights + activation allowance, plus the CUDA context once per host on GPUs', () => {
    const cpu = estimateSessionMemory({ fileBytes: 400 * MB, device: 'cpu', shape: { hiddenSize: 1024, attentionLayers: 24, heads: 16, outputWidth: 1024, perTokenOutput: false, elementBytes: 4, source: 'onnx' } });
    expect(cpu.weightsBytes).toBe(400 * MB);
    expect(cpu.contextBytes).toBe(0);
    expect(cpu.activationBytes).toBeGreaterThan(0.2 * 400 * MB);
    const gpu = estimateSessionMemory({ fileBytes: 400 * MB, device: 'cuda:0', shape: { hiddenSize: 1024, attentionLayers: 24, heads: 16, outputWidth: 1024, perTokenOutput: false, elementBytes: 4, source: 'onnx' } });
    expect(gpu.totalBytes - cpu.totalBytes).toBe(CUDA_CONTEXT_BYTES);
    expect(estimateSessionBytes({ fileBytes: 400 * MB, device: 'cuda:0', shape: { hiddenSize: 1024, attentionLayers: 24, heads: 16, outputWidth: 1024, perTokenOutput: false, elementBytes: 4, source: 'onnx' }, hostHasContext: true })).toBe(cpu.totalBytes);
    // Activations grow with batch and sequence length.
    expect(estimateSessionBytes({ fileBytes: 0, device: 'cpu', batchSize: 64 })).toBeGreaterThan(estimateSessionBytes({ fileBytes: 0, device: 'cpu', batchSize: 8 }));
  });
});

describe('onnxruntime errors', () => {
  it('maps a missing CUDA provider to EMB-E201 with the remedy, other failures to EMB-E202', () => {
    const msg = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';
    expect(isCudaProviderMissing(msg)).toBe(true);
    const e = createError(new Error(msg), { model: '/m.onnx', provider: 'cuda', deviceId: 2 });
    expect(e.code).toBe('EMB-E201');
    expect(e.message).toMatch(/cuda:2.*CUDA 12.*move the slot to the CPU/);
    expect(createError(new Error('Protobuf parsing failed.'), { model: '/m.onnx', provider: 'cpu', deviceId: 0 }).code).toBe('EMB-E202');
  });
});

describe('host protocol', () => {
  it('rejects malformed requests and non-Float32 embeddings', () => {
    expect(HostRequestSchema.safeParse({ kind: 'embed', id: 1, session: 'E1#1', texts: [] }).success).toBe(false);
    expect(HostRequestSchema.safeParse({ kind: 'load', id: 1, session: 's', model: 'm' }).success).toBe(false);
    expect(HostRequestSchema.safeParse({ kind: 'explode', id: 1 }).success).toBe(false);
    expect(EmbedResultSchema.safeParse({ dims: 2, count: 1, data: [0.1, 0.2], lengths: null, hostMs: 1 }).success).toBe(false);
    expect(EmbedResultSchema.safeParse({ dims: 2, count: 1, data: new Float32Array(2), lengths: null, hostMs: 1 }).success).toBe(true);
  });
});
