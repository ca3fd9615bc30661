/**
 * `modelbay demo --fake-gpu`: the GPU monitor runs the fake nvidia-smi (src/devkit/nvidia-smi)
 * replaying an RTX 4080 SUPER capture. Built, the script and that capture are copied beside
 * the entries (out/main/fake-nvidia-smi/, see electron.vite.config.ts), so an installed
 * package has them without its sources. The script runs with this process's Node, so no
 * shell script or executable bit is needed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { GpuMonitorOptions } from '../../main/core/gpu/gpu-monitor.js';

export const DEMO_GPU_CAPTURE = 'linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt';

/** What the build copies to out/main/fake-nvidia-smi/, relative to src/devkit/nvidia-smi/. */
export const FAKE_NVIDIA_SMI_FILES = ['fake-nvidia-smi.js', 'LICENSE', `captures/${DEMO_GPU_CAPTURE}`];

export function fakeGpuOptions(root: string, fromSource: boolean, env: NodeJS.ProcessEnv): GpuMonitorOptions {
  const dir = fromSource ? join(root, 'src', 'devkit', 'nvidia-smi') : join(root, 'out', 'main', 'fake-nvidia-smi');
  return {
    nvidiaSmi: join(dir, 'fake-nvidia-smi.js'),
    spawn: (script, args, options) => spawn(process.execPath, [script, ...args], options),
    env: { ...env, FAKE_NVIDIA_SMI_CAPTURE: DEMO_GPU_CAPTURE },
  };
}
