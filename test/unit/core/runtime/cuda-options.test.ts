/**
 * A session's execution-provider options, and a session over its GPU memory limit: the
 * options object for CUDA, a MIG instance (device 0 inside it) and the CPU; the limit from
 * the reservation with headroom; onnxruntime's out-of-memory texts as EMB-E310 naming the
 * slot and the limit (from the host, or from the measurement after load + warm-up).
 */
import { describe, expect, it } from 'vitest';
import { GiB, MiB } from '../../../../src/shared/values/bytes.js';
import { ModelbayError } from '../../../../src/shared/errors/errors.js';
import { CUDA_MIN_MEMORY_LIMIT_BYTES, cudaMemoryLimit, cudaProviderOptions, executionProviders, isOutOfGpuMemory } from '../../../../src/main/core/runtime/cuda-options.js';
import { HostPool } from '../../../../src/main/core/runtime/host-pool.js';
import { OnnxSessionFactory, parseDevice } from '../../../../src/main/core/runtime/session-factory.js';
import { sessionOptions } from '../../../../src/main/host/host-server.js';
import { createError, gpuMemoryError } from '../../../../src/main/host/ort-errors.js';
import { ScriptedLauncher, wellBehaved } from './scripted-launcher.js';

const files = { model: import.meta.filename, externalData: [], tokenizer: null, pooling: 'mean' as const, dims: 8 };
const signal = new AbortController().signal;

describe('execution-provider options', () => {
  it('CUDA: the device id to onnxruntime, and the full careful set with the limit from the reservation', () => {
    const { provider, deviceId } = parseDevice('cuda:1');
    expect(sessionOptions({ provider, deviceId, options: {}, externalData: [] }).executionProviders).toEqual([{ name: 'cuda', deviceId: 1 }]);
    expect(cudaProviderOptions(deviceId, cudaMemoryLimit(2 * GiB))).toEqual({
      device_id: '1', gpu_mem_limit: String(2.5 * GiB), arena_extend_strategy: 'kSameAsRequested',
      cudnn_conv_algo_search: 'HEURISTIC', cudnn_conv_use_max_workspace: '0', do_copy_in_default_stream: '1',
    });
  });

  it('a MIG instance: CUDA device 0 inside the instance (the host sees only it)', () => {
    const { provider, deviceId } = parseDevice('cuda:1/mig:1c.3g.71gb:5c1e0a77');
    expect(sessionOptions({ provider, deviceId, options: {}, externalData: [] }).executionProviders).toEqual([{ name: 'cuda', deviceId: 0 }]);
    expect(cudaProviderOptions(deviceId, cudaMemoryLimit(GiB)).device_id).toBe('0');
  });

  it('the CPU: the CPU provider, no CUDA options', () => {
    const { provider, deviceId } = parseDevice('cpu');
    expect(sessionOptions({ provider, deviceId, options: { intraOpNumThreads: 2 }, externalData: [] })).toEqual({ executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 2 });
    expect(executionProviders('cpu', 0)).toEqual(['cpu']);
  });

  it('the limit: reservation × 1.25 in whole MiB, never below 512 MiB', () => {
    expect(cudaMemoryLimit(4 * GiB)).toBe(5 * GiB);
    expect(cudaMemoryLimit(1000 * MiB + 1)).toBe(1251 * MiB);
    expect(cudaMemoryLimit(0)).toBe(CUDA_MIN_MEMORY_LIMIT_BYTES);
  });
});

describe('a session that hits its limit', () => {
  const oomTexts = [
    '[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running MatMul node. Name:\'/MatMul\' Status Message: /onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Available memory of 0 is smaller than requested bytes of 4194304',
    'Failed to allocate memory for requested buffer of size 268435456',
    'CUDA failure 2: out of memory ; GPU=0 ; hostname=x ; file=cuda_allocator.cc ; line=47 ; expr=cudaMalloc((void**)&p, size);',
    'CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED',
  ];

  it("reads onnxruntime's out-of-memory texts as EMB-E310 with the limit, on CUDA only", () => {
    for (const text of oomTexts) {
      expect(isOutOfGpuMemory(text)).toBe(true);
      const err = createError(new Error(text), { model: 'm.onnx', provider: 'cuda', deviceId: 0, memoryLimitBytes: 2 * GiB });
      expect(err.code).toBe('EMB-E310');
      expect(err.message).toContain('limit 2.00 GiB');
      expect(err.details).toMatchObject({ limitBytes: 2 * GiB, deviceId: 0 });
    }
    expect(gpuMemoryError(new Error(oomTexts[1]), { provider: 'cpu', deviceId: 0 })).toBeNull();
    expect(createError(new Error('Protobuf parsing failed'), { model: 'm.onnx', provider: 'cuda', deviceId: 0, memoryLimitBytes: GiB }).code).toBe('EMB-E202');
  });

  it('the host reports it: the load fails with EMB-E310 naming the slot and its limit, the host lives on', async () => {
    const launcher = new ScriptedLauncher((req, host) => {
      if (req.kind === 'load') throw createError(new Error(oomTexts[0]), { model: req.model, provider: req.provider, deviceId: req.deviceId, memoryLimitBytes: req.memoryLimitBytes });
      return wellBehaved(req, host);
    });
    const factory = new OnnxSessionFactory({ pool: new HostPool({ launcher }), resolve: () => Promise.resolve(files) });
    const err = await factory.create({ slot: 'E3', device: 'cuda:0', estimateBytes: 2 * GiB, signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelbayError);
    expect((err as ModelbayError).code).toBe('EMB-E310');
    expect((err as ModelbayError).message).toMatch(/^E3 ran out of GPU memory on cuda:0 \(its limit: 2\.50 GiB\)/);
    expect((err as ModelbayError).details).toMatchObject({ slot: 'E3', device: 'cuda:0', limitBytes: 2.5 * GiB });
    expect(launcher.hosts[0]?.received.find((r) => r.kind === 'load')).toMatchObject({ memoryLimitBytes: 2.5 * GiB });
  });

  it('measured above its limit after load and warm-up: EMB-E310 naming the slot and the limit, the session given back', async () => {
    const readings = [300 * MiB, 300 * MiB + 2 * GiB];
    const launcher = new ScriptedLauncher(wellBehaved);
    const factory = new OnnxSessionFactory({ pool: new HostPool({ launcher }), resolve: () => Promise.resolve(files), gpuMemory: () => Promise.resolve(readings.shift() ?? null) });
    const err = await factory.create({ slot: 'E4', device: 'cuda:0', estimateBytes: GiB, signal }).catch((e: unknown) => e as ModelbayError);
    expect(err).toMatchObject({ code: 'EMB-E310', details: { slot: 'E4', limitBytes: 1.25 * GiB, measuredBytes: 2 * GiB } });
    expect(launcher.hosts[0]?.received.map((r) => r.kind)).toContain('unload');
  });
});
