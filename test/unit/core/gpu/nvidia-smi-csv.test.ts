import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../../../src/shared/values/bytes.js';
import {
  GPU_QUERY_FIELDS, isNoGpuMessage, parseGpuLine, parseNumber, parseProcessLines, PROCESS_QUERY_FIELDS, rejectedFields,
} from '../../../../src/main/core/gpu/nvidia-smi-csv.js';

const CAPTURES = join(import.meta.dirname, '../../../../src/devkit/nvidia-smi/captures');

/** A capture's CSV section as nvidia-smi would print it for our field list with noheader,nounits. */
function asQuery(file: string, state: 'idle' | 'load', what: 'query-gpu' | 'query-compute-apps', fields: ReadonlyArray<string>): string[] {
  const lines = readFileSync(join(CAPTURES, file), 'utf8').split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith(`# ${state} :: ${what}`));
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('#')) continue;
    if (l.trim() === '') {
      if (body.length) break;
      continue;
    }
    body.push(l);
  }
  const [head = '', ...rows] = body;
  const header = head.split(', ').map((h) => h.replace(/ \[.*\]$/, ''));
  return rows.map((r) => {
    const v = r.split(', ');
    return fields.map((f) => (v[header.indexOf(f)] ?? '').replace(/ (MiB|%|W|MHz)$/, '')).join(', ');
  });
}

const expected: Record<string, { totalMiB: number; reservedMiB: number; processes: { idle: number; load: number }; mig: string | null; fan: boolean; util: boolean; perProcessMemory: boolean }> = {
  'linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05.txt': { totalMiB: 8192, reservedMiB: 408, processes: { idle: 0, load: 2 }, mig: null, fan: true, util: true, perProcessMemory: true },
  'linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04.txt': { totalMiB: 8192, reservedMiB: 400, processes: { idle: 0, load: 2 }, mig: null, fan: true, util: true, perProcessMemory: true },
  'linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt': { totalMiB: 16376, reservedMiB: 434, processes: { idle: 1, load: 3 }, mig: null, fan: true, util: true, perProcessMemory: true },
  'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt': { totalMiB: 81559, reservedMiB: 479, processes: { idle: 0, load: 3 }, mig: 'Disabled', fan: false, util: true, perProcessMemory: true },
  'linux-x86_64__nvidia-h100-mig__590.48.01.txt': { totalMiB: 81559, reservedMiB: 479, processes: { idle: 0, load: 3 }, mig: 'Enabled', fan: false, util: false, perProcessMemory: true },
  'linux-x86_64__nvidia-h200__590.48.01.txt': { totalMiB: 143771, reservedMiB: 614, processes: { idle: 0, load: -1 }, mig: 'Disabled', fan: false, util: true, perProcessMemory: true },
  'linux-x86_64__nvidia-l40s__595.80.txt': { totalMiB: 46068, reservedMiB: 609, processes: { idle: 0, load: -1 }, mig: null, fan: false, util: true, perProcessMemory: true },
  'windows-x86_64__nvidia-geforce-rtx-2080-super__591.86.txt': { totalMiB: 8192, reservedMiB: 205, processes: { idle: -1, load: -1 }, mig: null, fan: true, util: true, perProcessMemory: false },
};

describe('nvidia-smi CSV parsing of every shared capture', () => {
  const files = readdirSync(CAPTURES).filter((f) => f.endsWith('.txt')).sort();

  it('covers every capture', () => {
    expect(files).toEqual(Object.keys(expected).sort());
  });

  for (const file of files) {
    for (const state of ['idle', 'load'] as const) {
      it(`${file} (${state})`, () => {
        const exp = expected[file];
        if (!exp) throw new Error(`no expectations for ${file}`);
        const lines = asQuery(file, state, 'query-gpu', GPU_QUERY_FIELDS);
        const gpus = lines.map((l) => parseGpuLine(l));
        expect(gpus).toHaveLength(1);
        const g = gpus[0];
        if (!g) throw new Error('GPU row did not parse');
        expect(g.index).toBe(0);
        expect(g.memoryTotalBytes).toBe(exp.totalMiB * MiB);
        expect(g.memoryReservedBytes).toBe(exp.reservedMiB * MiB);
        // The captures satisfy total = reserved + used + free (± 2 MiB of rounding).
        const sum = (g.memoryReservedBytes ?? 0) + (g.memoryUsedBytes ?? 0) + (g.memoryFreeBytes ?? 0);
        expect(Math.abs(sum - exp.totalMiB * MiB)).toBeLessThanOrEqual(2 * MiB);
        expect(g.migMode).toBe(exp.mig);
        expect(g.fanPct === null).toBe(!exp.fan);
        expect(g.utilizationPct === null).toBe(!exp.util);
        for (const v of [g.temperatureC, g.powerDrawW, g.powerLimitW, g.smClockMHz]) expect(typeof v === 'number' && Number.isFinite(v)).toBe(true);

        const procs = parseProcessLines(asQuery(file, state, 'query-compute-apps', PROCESS_QUERY_FIELDS).join('\n'), [g]);
        const count = exp.processes[state];
        if (count >= 0) expect(procs).toHaveLength(count);
        for (const p of procs) {
          expect(p.gpuIndex).toBe(0);
          expect(Number.isInteger(p.pid)).toBe(true);
          expect(p.name.length).toBeGreaterThan(0);
          if (exp.perProcessMemory) expect(p.usedMemoryBytes).toBeGreaterThan(0);
          else expect(p.usedMemoryBytes).toBeNull();
        }
      });
    }
  }
});

describe('placeholders and garbage', () => {
  it('reads every placeholder as unknown, never 0', () => {
    for (const v of ['[N/A]', 'N/A', '[Not Supported]', '[Insufficient Permissions]', '[Requested functionality has been deprecated]', '', 'Unknown Error', '0x3', 'nan']) {
      expect(parseNumber(v)).toBeNull();
    }
    expect(parseNumber('0')).toBe(0);
    expect(parseNumber('631.95')).toBe(631.95);
    expect(parseNumber('19818 MiB')).toBe(19818);
  });

  it('rejects lines that are not GPU rows', () => {
    expect(parseGpuLine('garbage: ###### 12,, N/A ;;')).toBeNull();
    expect(parseGpuLine("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")).toBeNull();
    expect(parseGpuLine(GPU_QUERY_FIELDS.map(() => '[N/A]').join(', '))).toBeNull();
  });

  it('keeps a row whose figures are all unknown as unknown', () => {
    const line = ['1', 'MIG-00000000-0000-0000-0000-000000000000', 'NVIDIA H100', ...GPU_QUERY_FIELDS.slice(3).map(() => '[Insufficient Permissions]')].join(', ');
    const g = parseGpuLine(line);
    expect(g).toMatchObject({ index: 1, memoryTotalBytes: null, memoryFreeBytes: null, utilizationPct: null, migMode: null });
  });

  it('names the fields an old driver refuses and recognises no-GPU messages', () => {
    expect(rejectedFields('Field "memory.reserved" is not a valid field to query.\n')).toEqual(['memory.reserved']);
    expect(isNoGpuMessage('No devices were found')).toBe(true);
    expect(isNoGpuMessage('all fine')).toBe(false);
  });

  it('keeps process names with ", " whole and joins GPUs by uuid', () => {
    const procs = parseProcessLines('GPU-1, 42, my, odd, name, 100\nnot a row\nGPU-2, 7, x, [N/A]\n', [{ uuid: 'GPU-2', index: 3 }]);
    expect(procs).toEqual([
      { gpuUuid: 'GPU-1', gpuIndex: null, pid: 42, name: 'my, odd, name', usedMemoryBytes: 100 * MiB },
      { gpuUuid: 'GPU-2', gpuIndex: 3, pid: 7, name: 'x', usedMemoryBytes: null },
    ]);
  });
});
