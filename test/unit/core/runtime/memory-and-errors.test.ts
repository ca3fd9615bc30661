import { describe, expect, it } from 'vitest';
import { MB } from '../../../../src/shared/values/bytes.js';
import { CUDA_CONTEXT_BYTES, estimateSessionBytes, estimateSessionMemory } from '../../../../src/main/core/runtime/memory-estimate.js';
import { createError, isCudaProviderMissing } from '../../../../src/main/host/ort-errors.js';
import { asEmbedMessage, EmbedResultSchema, HostRequestSchema, isEmbedResult } from '../../../../src/main/core/runtime/protocol.js';

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

  it('the hand-written embed checks agree with the schemas, and also refuse vectors that do not match their counts', () => {
    const requests: unknown[] = [
      { kind: 'embed', id: 1, session: 'E1#1', texts: ['a', [1, 2]] },
      { kind: 'embed', id: 1, session: 'E1#1', texts: ['a'], output: 'sparse' },
      { kind: 'embed', id: 1, session: 'E1#1', texts: [] },
      { kind: 'embed', id: 1, session: 'E1#1', texts: [[]] },
      { kind: 'embed', id: 1, session: 'E1#1', texts: [[1, -2]] },
      { kind: 'embed', id: 1, session: 'E1#1', texts: [[1.5]] },
      { kind: 'embed', id: 1, session: 'E1#1', texts: [3] },
      { kind: 'embed', id: 1, session: '', texts: ['a'] },
      { kind: 'embed', id: -1, session: 's', texts: ['a'] },
      { kind: 'embed', id: 1, session: 's', texts: ['a'], output: 'colbert' },
      { kind: 'stats', id: 1 },
    ];
    for (const r of requests) expect(asEmbedMessage(r) !== null).toBe(HostRequestSchema.safeParse(r).success && (r as { kind: string }).kind === 'embed');
    expect(asEmbedMessage({ kind: 'embed', id: 4, session: 's', texts: ['a'], extra: 1 })).toEqual({ kind: 'embed', id: 4, session: 's', texts: ['a'] });
    const results: unknown[] = [
      { dims: 2, count: 1, data: new Float32Array(2), lengths: null, hostMs: 1 },
      { dims: 2, count: 2, data: new Float32Array(4), lengths: null, hostMs: 1, tokens: [3, 4], batch: { inputs: 5, requests: 2 } },
      { dims: 2, count: 2, data: new Float32Array(10), lengths: [2, 3], hostMs: 1 },
      { dims: 2, count: 1, data: [0.1, 0.2], lengths: null, hostMs: 1 },
      { dims: 0, count: 1, data: new Float32Array(0), lengths: null, hostMs: 1 },
      { dims: 2, count: 1, data: new Float32Array(2), lengths: null, hostMs: -1 },
      { dims: 2, count: 1, data: new Float32Array(2), lengths: null, hostMs: 1, tokens: [-1] },
      { dims: 2, count: 1, data: new Float32Array(2), lengths: null, hostMs: 1, batch: { inputs: 0, requests: 1 } },
    ];
    for (const r of results) expect(isEmbedResult(r)).toBe(EmbedResultSchema.safeParse(r).success);
    expect(isEmbedResult({ dims: 2, count: 2, data: new Float32Array(2), lengths: null, hostMs: 1 })).toBe(false);
    expect(isEmbedResult({ dims: 2, count: 2, data: new Float32Array(10), lengths: [2, 2], hostMs: 1 })).toBe(false);
    expect(isEmbedResult({ dims: 2, count: 2, data: new Float32Array(8), lengths: [2], hostMs: 1 })).toBe(false);
  });
});
