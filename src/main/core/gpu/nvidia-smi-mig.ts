/**
 * MIG instances from nvidia-smi's text outputs: `-L` names each instance (profile, MIG
 * device index, MIG UUID) and `-q` gives its GPU/compute-instance ids and memory. No
 * `--query-gpu` field covers MIG instances, so these two are what nvidia-smi offers.
 * Both parsers skip what they cannot read; unknown values are null, never 0.
 */
import { MiB } from '../../../shared/values/bytes.js';
import type { MigInstance } from '../../../shared/devices/gpu.js';
import { parseNumber } from './nvidia-smi-csv.js';

export interface MigListEntry {
  gpuIndex: number;
  gpuUuid: string;
  index: number;
  profile: string | null;
  uuid: string;
}

const GPU_LINE = /^GPU\s+(\d+):.*\(UUID:\s*(GPU-[^)\s]+)\)/;
const MIG_LINE = /^\s+MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(MIG-[^)\s]+)\)/;

/** `nvidia-smi -L`; null when no line is a GPU line (garbage or an error message). */
export function parseMigList(text: string): MigListEntry[] | null {
  const out: MigListEntry[] = [];
  let gpu: { index: number; uuid: string } | null = null;
  let gpus = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const g = GPU_LINE.exec(line);
    if (g) {
      gpu = { index: Number(g[1]), uuid: g[2] ?? '' };
      gpus++;
      continue;
    }
    const m = MIG_LINE.exec(line);
    if (m && gpu) out.push({ gpuIndex: gpu.index, gpuUuid: gpu.uuid, index: Number(m[2]), profile: m[1] ?? null, uuid: m[3] ?? '' });
  }
  return gpus > 0 ? out : null;
}

export interface MigQueryEntry {
  gpuUuid: string | null;
  index: number;
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
  memoryTotalBytes: number | null;
  memoryReservedBytes: number | null;
  memoryUsedBytes: number | null;
  memoryFreeBytes: number | null;
}

function mibValue(value: string): number | null {
  const n = parseNumber(value.replace(/\s*MiB$/, ''));
  return n === null ? null : Math.round(n * MiB);
}

/**
 * The `MIG Device` blocks of `nvidia-smi -q` (indented key : value lines), with the GPU
 * UUID of the block they sit in; null when the text has no `GPU …` block at all.
 */
export function parseMigQuery(text: string): MigQueryEntry[] | null {
  const out: MigQueryEntry[] = [];
  let blockStart = 0;
  let blockUuid: string | null = null;
  let sawGpu = false;
  let mig: { entry: MigQueryEntry; indent: number; memIndent: number | null } | null = null;
  const endGpu = (uuid: string | null): void => {
    for (const e of out.slice(blockStart)) e.gpuUuid ??= uuid;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const indent = line.length - line.trimStart().length;
    const kv = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    const key = kv ? (kv[1] ?? '') : line.trim();
    const value = kv ? (kv[2] ?? '') : null;
    // A GPU block starts with its PCI bus id, e.g. "GPU 00000000:00:09.0".
    if (indent === 0 && /^GPU [0-9A-Fa-f]+:[0-9A-Fa-f]+:[0-9A-Fa-f.]+$/.test(line.trim())) {
      blockStart = out.length;
      blockUuid = null;
      sawGpu = true;
      mig = null;
      continue;
    }
    if (mig && indent <= mig.indent) mig = null;
    if (mig && mig.memIndent !== null && indent <= mig.memIndent) mig.memIndent = null;
    if (!mig && value === null && key === 'MIG Device') {
      const entry: MigQueryEntry = {
        gpuUuid: blockUuid, index: -1, gpuInstanceId: null, computeInstanceId: null,
        memoryTotalBytes: null, memoryReservedBytes: null, memoryUsedBytes: null, memoryFreeBytes: null,
      };
      out.push(entry);
      mig = { entry, indent, memIndent: null };
      continue;
    }
    if (!mig) {
      if (key === 'GPU UUID' && value !== null) {
        blockUuid = value;
        endGpu(value);
      }
      continue;
    }
    const e = mig.entry;
    if (value === null) {
      // "FB Memory Usage" or "Shared FB Memory Usage": the instance's own memory (not BAR1).
      if (/\bFB Memory Usage$/i.test(key)) mig.memIndent = indent;
      continue;
    }
    if (mig.memIndent !== null) {
      if (key === 'Total') e.memoryTotalBytes = mibValue(value);
      else if (key === 'Reserved') e.memoryReservedBytes = mibValue(value);
      else if (key === 'Used') e.memoryUsedBytes = mibValue(value);
      else if (key === 'Free') e.memoryFreeBytes = mibValue(value);
      continue;
    }
    const n = parseNumber(value);
    if (key === 'Index' && n !== null) e.index = n;
    else if (key === 'GPU Instance ID') e.gpuInstanceId = n;
    else if (key === 'Compute Instance ID') e.computeInstanceId = n;
  }
  return sawGpu ? out.filter((e) => e.index >= 0) : null;
}

/** The instances of `-L`, with ids and memory from `-q` where it has them (joined on GPU UUID and MIG index). */
export function joinMigInstances(list: ReadonlyArray<MigListEntry>, query: ReadonlyArray<MigQueryEntry> | null): MigInstance[] {
  return list.map((l) => {
    const q = query?.find((e) => e.index === l.index && (e.gpuUuid === null || e.gpuUuid === l.gpuUuid));
    return {
      gpuIndex: l.gpuIndex,
      index: l.index,
      profile: l.profile,
      gpuInstanceId: q?.gpuInstanceId ?? null,
      computeInstanceId: q?.computeInstanceId ?? null,
      uuid: l.uuid,
      memoryTotalBytes: q?.memoryTotalBytes ?? null,
      memoryReservedBytes: q?.memoryReservedBytes ?? null,
      memoryUsedBytes: q?.memoryUsedBytes ?? null,
      memoryFreeBytes: q?.memoryFreeBytes ?? null,
    };
  });
}

/** The memory a profile names (`3g.40gb` → 40 GB), as an upper bound while `-q` has not answered. */
export function profileMemoryBytes(profile: string | null): number | null {
  const m = /(\d+)gb\b/i.exec(profile ?? '');
  return m ? Number(m[1]) * 1e9 : null;
}
