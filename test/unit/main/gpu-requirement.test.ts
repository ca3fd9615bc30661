import { describe, expect, it } from 'vitest';
import type { GpuInfo, GpuSample } from '../../../src/shared/devices/gpu.js';
import { gpuProblem, gpuProblemText, gpuRequired } from '../../../src/main/startup/gpu-requirement.js';
import { parseHeadlessOptions } from '../../../src/main/headless/options.js';

const gpu = { index: 0, uuid: 'GPU-1', name: 'NVIDIA L40S' } as GpuInfo;
const sample = (change: Partial<GpuSample> = {}): GpuSample => ({ at: 1, available: true, reason: null, gpus: [gpu], processes: [], ...change });

describe('strict GPU start', () => {
  it('is asked for by the flag, MODELBAY_REQUIRE_GPU or the setting', () => {
    expect(gpuRequired(false, {}, false)).toBe(false);
    expect(gpuRequired(true, {}, false)).toBe(true);
    expect(gpuRequired(false, {}, true)).toBe(true);
    expect(gpuRequired(false, { MODELBAY_REQUIRE_GPU: '1' }, false)).toBe(true);
    expect(gpuRequired(false, { MODELBAY_REQUIRE_GPU: 'true' }, false)).toBe(true);
    expect(gpuRequired(false, { MODELBAY_REQUIRE_GPU: '0' }, false)).toBe(false);
    expect(parseHeadlessOptions(['--require-gpu'], {}).requireGpu).toBe(true);
    expect(parseHeadlessOptions([], {}).requireGpu).toBe(false);
  });

  it('passes with a GPU and the CUDA provider', () => {
    expect(gpuProblem({ cudaProvider: true, sample: sample(), env: {} })).toBeNull();
    expect(gpuProblem({ cudaProvider: true, sample: sample(), env: { CUDA_VISIBLE_DEVICES: '0' } })).toBeNull();
  });

  it('names the reason and the remedy for each way a GPU is not usable', () => {
    const noSmi = gpuProblem({ cudaProvider: true, sample: sample({ available: false, reason: 'nvidia-smi not found', gpus: [] }), env: {} });
    expect(noSmi?.reason).toBe('No usable NVIDIA GPU: nvidia-smi not found.');
    expect(noSmi?.remedy).toContain('Install the NVIDIA driver');
    expect(gpuProblem({ cudaProvider: true, sample: sample({ gpus: [] }), env: {} })?.reason).toBe('No usable NVIDIA GPU: nvidia-smi lists none.');
    expect(gpuProblem({ cudaProvider: false, sample: sample(), env: {} })).toMatchObject({ reason: "NVIDIA L40S is present, but onnxruntime's CUDA provider is not installed." });
    expect(gpuProblem({ cudaProvider: false, sample: sample(), env: {} })?.remedy).toContain('npm run fetch-binaries');
    expect(gpuProblem({ cudaProvider: true, sample: null, env: {} })?.reason).toContain('no answer in time');
    expect(gpuProblem({ cudaProvider: true, sample: sample(), env: { CUDA_VISIBLE_DEVICES: '-1' } })?.reason).toContain('hides every GPU');
    expect(gpuProblem({ cudaProvider: true, sample: sample(), env: { CUDA_VISIBLE_DEVICES: '' } })?.reason).toContain('hides every GPU');
    expect(gpuProblemText({ reason: 'R.', remedy: 'D.' })).toBe('Modelbay requires a GPU (strict GPU start) and cannot start.\n  Reason: R.\n  Remedy: D.\n');
  });
});
