/**
 * Strict GPU start (`--require-gpu`, the `requireGpu` setting, MODELBAY_REQUIRE_GPU=1): a
 * production box that silently fell back to the CPU would answer 50× slower and nobody
 * would notice, so without a usable CUDA device and provider Modelbay refuses to start,
 * says why and what to do, and exits with 101 (the code the slot-system seed uses).
 * The decision is pure; the probe runs nvidia-smi once.
 */
import type { GpuSample } from '../../shared/devices/gpu.js';
import { GpuMonitor, type GpuMonitorOptions } from '../core/gpu/index.js';

export const REQUIRE_GPU_EXIT_CODE = 101;

export interface GpuRequirementInput {
  /** onnxruntime-node's CUDA provider library is installed. */
  cudaProvider: boolean;
  /** The first nvidia-smi sample, or null when none came in time. */
  sample: GpuSample | null;
  env: NodeJS.ProcessEnv;
}

export interface GpuProblem {
  reason: string;
  remedy: string;
}

/** Whether strict GPU start is asked for, by flag, environment or setting. */
export function gpuRequired(flag: boolean, env: NodeJS.ProcessEnv, setting: boolean): boolean {
  const v = (env['MODELBAY_REQUIRE_GPU'] ?? '').trim().toLowerCase();
  return flag || setting || v === '1' || v === 'true' || v === 'yes';
}

/** null when a CUDA device is usable; else the reason and the remedy, in the user's words. */
export function gpuProblem(input: GpuRequirementInput): GpuProblem | null {
  const visible = input.env['CUDA_VISIBLE_DEVICES'];
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1' || visible.trim().toLowerCase() === 'none')) {
    return {
      reason: `CUDA_VISIBLE_DEVICES is ${JSON.stringify(visible)}, which hides every GPU from CUDA.`,
      remedy: 'Unset CUDA_VISIBLE_DEVICES or set it to the GPUs to use (e.g. CUDA_VISIBLE_DEVICES=0).',
    };
  }
  const sample = input.sample;
  if (!sample) {
    return {
      reason: 'nvidia-smi gave no answer in time, so no GPU could be seen.',
      remedy: 'Check that the NVIDIA driver works (run `nvidia-smi`), then start again.',
    };
  }
  if (!sample.available || sample.gpus.length === 0) {
    return {
      reason: `No usable NVIDIA GPU: ${sample.reason ?? 'nvidia-smi lists none'}.`,
      remedy: 'Install the NVIDIA driver (nvidia-smi must list the GPU), or start without --require-gpu / MODELBAY_REQUIRE_GPU / the "Require a GPU" setting to allow the CPU.',
    };
  }
  if (!input.cudaProvider) {
    const names = sample.gpus.map((g) => g.name).join(', ');
    return {
      reason: `${names} ${sample.gpus.length === 1 ? 'is' : 'are'} present, but onnxruntime's CUDA provider is not installed.`,
      remedy: 'Run `npm run fetch-binaries` (it installs onnxruntime-node\'s CUDA 12 provider; CUDA 12 and cuDNN 9 must be installed), then start again.',
    };
  }
  return null;
}

/** The lines printed before exiting with 101. */
export function gpuProblemText(problem: GpuProblem): string {
  return `Modelbay requires a GPU (strict GPU start) and cannot start.\n  Reason: ${problem.reason}\n  Remedy: ${problem.remedy}\n`;
}

/** One nvidia-smi sample (or null after `waitMs`); the monitor is stopped either way. */
export async function probeGpu(options: GpuMonitorOptions = {}, waitMs = 3000): Promise<GpuSample | null> {
  const monitor = new GpuMonitor(options);
  const first = new Promise<GpuSample | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), waitMs);
    const off = monitor.on((s) => {
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
  try {
    await monitor.start();
    return await first;
  } finally {
    await monitor.stop();
  }
}
