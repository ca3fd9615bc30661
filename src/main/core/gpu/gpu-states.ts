/**
 * The GPU monitor's states: each has its own error code and a title that says what
 * happened, so a hang or a lost driver is not reported as "no GPU".
 */
import type { GpuState } from '../../../shared/devices/gpu.js';

export const GPU_STATE_INFO: Record<GpuState, { code: string | null; title: string }> = {
  ok: { code: null, title: 'NVIDIA GPU' },
  starting: { code: null, title: 'Looking for NVIDIA GPUs…' },
  'no-nvidia-smi': { code: 'EMB-E301', title: 'No NVIDIA GPU — running on CPU' },
  exited: { code: 'EMB-E302', title: 'nvidia-smi stopped — restarting it' },
  'no-gpu': { code: 'EMB-E303', title: 'No NVIDIA GPU found by the driver — running on CPU' },
  'driver-lost': { code: 'EMB-E304', title: 'NVIDIA driver not reachable — retrying' },
  hung: { code: 'EMB-E305', title: 'nvidia-smi stopped answering — restarting it' },
  unreadable: { code: 'EMB-E306', title: 'GPU readings unreadable — restarting nvidia-smi' },
  'cannot-start': { code: 'EMB-E307', title: 'nvidia-smi could not be started — retrying' },
};

/**
 * At most `max` printable characters of what a program printed, quoted: control
 * characters and odd whitespace become a space, runs of spaces collapse.
 */
export function excerpt(text: string, max = 40): string {
  const printable = text.replace(/[^\x20-\x7E\u00A0-\uFFFF]/gu, ' ').replace(/[\uFFFD\u2028\u2029]/gu, ' ').replace(/\s+/g, ' ').trim();
  return JSON.stringify(printable.length > max ? `${printable.slice(0, max)}…` : printable);
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
