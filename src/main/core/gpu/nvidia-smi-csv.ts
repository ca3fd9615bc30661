/**
 * Parsing nvidia-smi's `--format=csv,noheader,nounits` output. Any value that is not a
 * number — `[N/A]`, `N/A`, `[Not Supported]`, `[Insufficient Permissions]`,
 * `[Requested functionality has been deprecated]`, or anything new a driver invents —
 * is unknown (null), never 0, and never an exception.
 */
import { MiB } from '../../../shared/values/bytes.js';
import type { GpuInfo, GpuProcess } from '../../../shared/devices/gpu.js';

/** The fields the monitor streams, in order. */
export const GPU_QUERY_FIELDS = [
  'index', 'uuid', 'name', 'memory.total', 'memory.reserved', 'memory.used', 'memory.free',
  'utilization.gpu', 'temperature.gpu', 'power.draw', 'power.limit', 'fan.speed',
  'clocks.current.sm', 'mig.mode.current',
] as const;
export type GpuQueryField = (typeof GPU_QUERY_FIELDS)[number];

export const PROCESS_QUERY_FIELDS = ['gpu_uuid', 'pid', 'process_name', 'used_gpu_memory'] as const;

/** Values are separated by ", "; tolerate a stray CR from Windows. */
export function splitCsvLine(line: string): string[] {
  return line.replace(/\r$/, '').split(', ').map((v) => v.trim());
}

export function isPlaceholder(value: string): boolean {
  return value === '' || /^\[.*\]$/.test(value) || /^n\/?a$/i.test(value);
}

/** A number, tolerating a unit suffix (when `nounits` was not honoured); otherwise null. */
export function parseNumber(value: string | undefined): number | null {
  if (value === undefined) return null;
  const m = /^(-?\d+(?:\.\d+)?)(?:\s*(?:MiB|%|W|MHz|C))?$/.exec(value.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

export function parseText(value: string | undefined): string | null {
  if (value === undefined) return null;
  const v = value.trim();
  return isPlaceholder(v) ? null : v;
}

function mib(value: string | undefined): number | null {
  const n = parseNumber(value);
  return n === null ? null : Math.round(n * MiB);
}

/**
 * One `--query-gpu` line for `fields` (the monitor may drop fields an old driver does not
 * know). Returns null for a line that is not a GPU row (garbage, an error message).
 */
export function parseGpuLine(line: string, fields: ReadonlyArray<string> = GPU_QUERY_FIELDS): GpuInfo | null {
  const values = splitCsvLine(line);
  if (values.length !== fields.length) return null;
  const get = (f: GpuQueryField): string | undefined => {
    const i = fields.indexOf(f);
    return i < 0 ? undefined : values[i];
  };
  const index = parseNumber(get('index'));
  const uuid = parseText(get('uuid'));
  if (index === null || !Number.isInteger(index) || index < 0 || uuid === null || !/^(GPU|MIG)-/.test(uuid)) return null;
  return {
    index,
    uuid,
    name: parseText(get('name')) ?? `GPU ${index}`,
    memoryTotalBytes: mib(get('memory.total')),
    memoryReservedBytes: mib(get('memory.reserved')),
    memoryUsedBytes: mib(get('memory.used')),
    memoryFreeBytes: mib(get('memory.free')),
    utilizationPct: parseNumber(get('utilization.gpu')),
    temperatureC: parseNumber(get('temperature.gpu')),
    powerDrawW: parseNumber(get('power.draw')),
    powerLimitW: parseNumber(get('power.limit')),
    fanPct: parseNumber(get('fan.speed')),
    smClockMHz: parseNumber(get('clocks.current.sm')),
    migMode: parseText(get('mig.mode.current')),
  };
}

/** `--query-compute-apps=gpu_uuid,pid,process_name,used_gpu_memory` output; unreadable lines are skipped. */
export function parseProcessLines(text: string, gpus: ReadonlyArray<Pick<GpuInfo, 'uuid' | 'index'>> = []): GpuProcess[] {
  const byUuid = new Map(gpus.map((g) => [g.uuid, g.index]));
  const out: GpuProcess[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const v = splitCsvLine(line);
    if (v.length < 4) continue;
    // A process name may itself contain ", ": it is everything between pid and memory.
    const gpuUuid = v[0] ?? '';
    const pid = parseNumber(v[1]);
    if (!/^(GPU|MIG)-/.test(gpuUuid) || pid === null || !Number.isInteger(pid)) continue;
    out.push({
      gpuUuid,
      gpuIndex: byUuid.get(gpuUuid) ?? null,
      pid,
      name: v.slice(2, -1).join(', '),
      usedMemoryBytes: mib(v[v.length - 1]),
    });
  }
  return out;
}

/** `Field "memory.reserved" is not a valid field to query.` → the fields an old driver rejects. */
export function rejectedFields(stderr: string): string[] {
  return [...stderr.matchAll(/Field "([^"]+)" is not a valid field/g)].map((m) => m[1] ?? '').filter(Boolean);
}

/** nvidia-smi's text says the driver sees no device ("No devices were found"). */
export function isNoDeviceMessage(text: string): boolean {
  return /No devices were found/i.test(text);
}

/** nvidia-smi's text says it cannot reach the driver (not loaded, crashed, mismatched, GPU lost). */
export function isDriverLostMessage(text: string): boolean {
  return /couldn't communicate with the NVIDIA driver|NVIDIA-SMI has failed|Driver\/library version mismatch|GPU is lost|NVML.*(not found|failed)/i.test(text);
}

/** nvidia-smi's ways of saying there is no usable NVIDIA GPU. */
export function isNoGpuMessage(text: string): boolean {
  return isNoDeviceMessage(text) || isDriverLostMessage(text);
}

/**
 * The whole `--query-compute-apps` output, strictly: null (unknown) when any line is not
 * a process row, because a list read past garbage may silently miss processes.
 */
export function parseProcessOutput(text: string, gpus: ReadonlyArray<Pick<GpuInfo, 'uuid' | 'index'>> = []): GpuProcess[] | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !/^No running (compute )?processes found/i.test(l.trim()));
  const list = parseProcessLines(lines.join('\n'), gpus);
  return list.length === lines.length ? list : null;
}
