import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MiB } from '../../../../src/shared/bytes.js';
import type { GpuSample } from '../../../../src/shared/gpu.js';
import { applyGpuSample, gpuDevices } from '../../../../src/main/core/gpu/gpu-devices.js';
import { GpuMonitor, type GpuMonitorOptions } from '../../../../src/main/core/gpu/gpu-monitor.js';
import { locateNvidiaSmi } from '../../../../src/main/core/gpu/nvidia-smi-locate.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';

const BIN = join(import.meta.dirname, '../../../fixtures/nvidia-smi/bin');
const FAKE = join(BIN, 'nvidia-smi');

const monitors: GpuMonitor[] = [];
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.stop()));
});

function monitor(env: Record<string, string>, options: Partial<GpuMonitorOptions> = {}): GpuMonitor {
  const m = new GpuMonitor({
    nvidiaSmi: FAKE,
    intervalMs: 100,
    processIntervalMs: 100,
    backoff: { initialMs: 50, maxMs: 200 },
    env: { ...process.env, ...env },
    ...options,
  });
  monitors.push(m);
  return m;
}

/** The first sample (from now on) that satisfies `predicate`. */
function next(m: GpuMonitor, predicate: (s: GpuSample) => boolean): Promise<GpuSample> {
  return new Promise((resolve) => {
    const off = m.on((s) => {
      if (predicate(s)) {
        off();
        resolve(s);
      }
    });
  });
}

const stateDir = (): string => mkdtempSync(join(tmpdir(), 'fake-smi-'));

describe('GpuMonitor with the fake nvidia-smi', () => {
  it('streams samples for several GPUs with per-process memory joined by uuid', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_GPUS: '2', FAKE_NVIDIA_SMI_PROCESSES: '4242:512:1' });
    const got = next(m, (s) => s.available && s.processes.length > 0);
    await m.start();
    const s = await got;
    expect(s.gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(s.gpus[0]).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', memoryTotalBytes: 81559 * MiB, memoryReservedBytes: 479 * MiB, fanPct: null, migMode: 'Disabled' });
    expect(s.processes.find((p) => p.pid === 4242)).toMatchObject({ gpuIndex: 1, usedMemoryBytes: 512 * MiB });
    expect(gpuDevices(s)).toEqual(['cuda:0', 'cuda:1']);
    expect(await m.processMemory(4242)).toBe(512 * MiB);
    expect(await m.processMemory(1)).toBeNull();
  });

  it('feeds the slot manager: adds cuda:N with a budget and keeps free VRAM current', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_CAPTURE: 'linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05.txt' });
    const got = next(m, (s) => s.available);
    await m.start();
    const s = await got;
    const slots = new SlotManager();
    expect(applyGpuSample(slots, s)).toEqual(['cuda:0']);
    // 8 GiB card: the budget is what it can hand out (total − reserved), not a flat 8 GiB.
    expect(slots.pressure('cuda:0').budgetBytes).toBe((8192 - 408) * MiB);
    applyGpuSample(slots, { ...s, available: false, reason: 'x', gpus: [] });
    expect(slots.listDevices()).toEqual(['cpu', 'cuda:0']);
  });

  it('reports a MIG GPU with unknown utilisation', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_CAPTURE: 'linux-x86_64__nvidia-h100-mig__590.48.01.txt' });
    const got = next(m, (s) => s.available);
    await m.start();
    expect((await got).gpus[0]).toMatchObject({ migMode: 'Enabled', utilizationPct: null });
  });

  it('reports garbage as unknown and recovers with the next good tick', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_MODE: 'garbage' });
    const bad = next(m, (s) => !s.available);
    await m.start();
    expect((await bad).reason).toMatch(/cannot read/);
    const good = await next(m, (s) => s.available);
    expect(good.gpus).toHaveLength(1);
  });

  it('restarts nvidia-smi with backoff after it exits', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_MODE: 'exit', FAKE_NVIDIA_SMI_TICKS: '1', FAKE_NVIDIA_SMI_FAULT_RUNS: '2', FAKE_NVIDIA_SMI_STATE_DIR: stateDir() });
    const down = next(m, (s) => !s.available);
    await m.start();
    expect((await down).reason).toMatch(/exited with code 1.*EMB-E302/);
    // Runs 1 and 2 exit; run 3 streams for good.
    const up = await next(m, (s) => s.available);
    expect(up.gpus).toHaveLength(1);
  });

  it('kills a hung nvidia-smi, reports unknown, and recovers', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_MODE: 'hang', FAKE_NVIDIA_SMI_FAULT_RUNS: '1', FAKE_NVIDIA_SMI_STATE_DIR: stateDir() }, { stallMs: 300 });
    const down = next(m, (s) => !s.available);
    await m.start();
    expect((await down).reason).toMatch(/stopped answering/);
    expect((await next(m, (s) => s.available)).gpus).toHaveLength(1);
  });

  it('drops fields an older driver refuses instead of giving up', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_REJECT: 'memory.reserved' });
    const got = next(m, (s) => s.available);
    await m.start();
    expect((await got).gpus[0]).toMatchObject({ memoryReservedBytes: null, memoryTotalBytes: 81559 * MiB });
  });

  it('says "no NVIDIA GPU" cleanly when the driver is absent', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_MODE: 'no-gpu' });
    const got = next(m, (s) => !s.available && /No NVIDIA GPU/.test(s.reason ?? ''));
    await m.start();
    const s = await got;
    expect(s.gpus).toEqual([]);
    expect(gpuDevices(s)).toEqual([]);
  });

  it('says "no NVIDIA GPU" when nvidia-smi does not exist', async () => {
    const m = new GpuMonitor({ nvidiaSmi: null });
    const samples: GpuSample[] = [];
    m.on((s) => samples.push(s));
    await m.start();
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ available: false, gpus: [], processes: [] });
    expect(samples[0]?.reason).toMatch(/EMB-E301/);
    expect(await m.processMemory(1)).toBeNull();
    await m.stop();
  });
});

describe('locateNvidiaSmi', () => {
  it('finds the executable on PATH', async () => {
    expect(await locateNvidiaSmi({ env: { PATH: `/nonexistent:${BIN}` } })).toBe(FAKE);
    expect(await locateNvidiaSmi({ env: { PATH: '/nonexistent' }, platform: 'linux' })).toBeNull();
  });

  it('looks in System32 and the DriverStore on Windows', async () => {
    const store = 'C:\\Windows\\System32\\DriverStore\\FileRepository';
    const exists = new Set([`${store}\\nvlti.inf_amd64_abc\\nvidia-smi.exe`]);
    const found = await locateNvidiaSmi({
      env: { Path: 'C:\\Tools', WINDIR: 'C:\\Windows' },
      platform: 'win32',
      isExecutable: (f) => Promise.resolve(exists.has(f)),
      listDir: (d) => Promise.resolve(d === store ? ['other.inf_x', 'nvlti.inf_amd64_abc'] : []),
    });
    expect(found).toBe(`${store}\\nvlti.inf_amd64_abc\\nvidia-smi.exe`);
    exists.add('C:\\Windows\\System32\\nvidia-smi.exe');
    expect(await locateNvidiaSmi({ env: { WINDIR: 'C:\\Windows' }, platform: 'win32', isExecutable: (f) => Promise.resolve(exists.has(f)), listDir: () => Promise.resolve([]) }))
      .toBe('C:\\Windows\\System32\\nvidia-smi.exe');
  });
});
