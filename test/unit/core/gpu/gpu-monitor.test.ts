import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MiB } from '../../../../src/shared/values/bytes.js';
import type { GpuSample } from '../../../../src/shared/devices/gpu.js';
import { applyGpuSample, gpuDevices } from '../../../../src/main/core/gpu/gpu-devices.js';
import { GpuMonitor, type GpuMonitorOptions } from '../../../../src/main/core/gpu/gpu-monitor.js';
import { locateNvidiaSmi } from '../../../../src/main/core/gpu/nvidia-smi-locate.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';

const BIN = join(import.meta.dirname, '../../../../src/devkit/nvidia-smi/bin');
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
    // A busy machine can pause the fake for longer than 3 short intervals: only the hang test uses a short stall.
    stallMs: 5000,
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

  it('reports a MIG GPU with unknown utilisation and lists its instances with their memory', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_CAPTURE: 'linux-x86_64__nvidia-h100-mig__590.48.01.txt', FAKE_NVIDIA_SMI_GPUS: '2' });
    const got = next(m, (s) => s.available && s.gpus.every((g) => (g.migInstances ?? []).length > 0));
    await m.start();
    const s = await got;
    expect(s.gpus[0]).toMatchObject({ migMode: 'Enabled', utilizationPct: null });
    expect(s.gpus[0]?.migInstances?.map((i) => [i.profile, i.gpuInstanceId, i.computeInstanceId, i.memoryTotalBytes, i.memoryUsedBytes])).toEqual([
      ['3g.40gb', 2, 0, 40448 * MiB, 11091 * MiB],
      ['2g.20gb', 3, 0, 20096 * MiB, 17 * MiB],
      ['1g.10gb', 9, 0, 9984 * MiB, 9 * MiB],
      ['1g.10gb', 10, 0, 9984 * MiB, 9 * MiB],
    ]);
    expect(s.gpus[1]?.migInstances?.[0]).toMatchObject({ gpuIndex: 1, uuid: 'MIG-00000000-0001-0000-0000-000000000000' });
    // Each instance is a device; the whole GPUs are not.
    expect(gpuDevices(s)).toEqual([
      'cuda:0/mig:3g.40gb:00000000', 'cuda:0/mig:2g.20gb:00000001', 'cuda:0/mig:1g.10gb:00000002', 'cuda:0/mig:1g.10gb:00000003',
      'cuda:1/mig:3g.40gb:00000000', 'cuda:1/mig:2g.20gb:00000001', 'cuda:1/mig:1g.10gb:00000002', 'cuda:1/mig:1g.10gb:00000003',
    ]);
  });

  it('asks for neither processes nor MIG instances while there is no GPU', async () => {
    const dir = stateDir();
    const m = monitor({ FAKE_NVIDIA_SMI_MODE: 'no-devices', FAKE_NVIDIA_SMI_STATE_DIR: dir });
    const down = next(m, (s) => !s.available);
    await m.start();
    await down;
    await new Promise((r) => setTimeout(r, 600));
    expect(await m.processMemory(1)).toBeNull();
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).filter((f) => !f.startsWith('run-'))).toEqual([]);
  });

  it('kills a stream that prints only garbage and recovers once it prints sane rows', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_MODE: 'garbage', FAKE_NVIDIA_SMI_FAULT_RUNS: '2', FAKE_NVIDIA_SMI_STATE_DIR: stateDir() });
    const bad = next(m, (s) => !s.available);
    await m.start();
    expect(await bad).toMatchObject({ state: 'unreadable', code: 'EMB-E306' });
    expect((await bad).reason).toMatch(/cannot read, e\.g\. "garbage: ###### 12,, N\/A ;;/);
    const good = await next(m, (s) => s.available);
    expect(good.gpus).toHaveLength(1);
  });

  it('keeps streaming through a lone unreadable line', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_MODE: 'garbage-some' });
    const samples: GpuSample[] = [];
    m.on((s) => samples.push(s));
    const good = next(m, (s) => s.available);
    await m.start();
    await good;
    expect(samples.filter((s) => !s.available)).toEqual([]);
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
    expect(await down).toMatchObject({ state: 'hung', code: 'EMB-E305' });
    expect((await down).reason).toMatch(/stopped answering/);
    expect((await next(m, (s) => s.available)).gpus).toHaveLength(1);
  });

  it('drops fields an older driver refuses instead of giving up', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_REJECT: 'memory.reserved' });
    const got = next(m, (s) => s.available);
    await m.start();
    expect((await got).gpus[0]).toMatchObject({ memoryReservedBytes: null, memoryTotalBytes: 81559 * MiB });
  });

  it('says the driver is not reachable, or has no devices, each with its own code', async () => {
    const m = monitor({ FAKE_NVIDIA_SMI_MODE: 'no-gpu' });
    const got = next(m, (s) => !s.available);
    await m.start();
    const s = await got;
    expect(s).toMatchObject({ state: 'driver-lost', code: 'EMB-E304', gpus: [] });
    expect(s.reason).toMatch(/cannot reach the NVIDIA driver.*couldn't communicate/);
    expect(gpuDevices(s)).toEqual([]);
    const n = monitor({ FAKE_NVIDIA_SMI_MODE: 'no-devices' });
    const none = next(n, (x) => !x.available);
    await n.start();
    expect(await none).toMatchObject({ state: 'no-gpu', code: 'EMB-E303' });
  });

  it('says "no NVIDIA GPU" when nvidia-smi does not exist', async () => {
    const m = new GpuMonitor({ nvidiaSmi: null });
    const samples: GpuSample[] = [];
    m.on((s) => samples.push(s));
    await m.start();
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ available: false, gpus: [], processes: [] });
    expect(samples[0]?.reason).toMatch(/EMB-E301/);
    expect(samples[0]).toMatchObject({ state: 'no-nvidia-smi', code: 'EMB-E301', title: 'No NVIDIA GPU — running on CPU' });
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
