/**
 * The GPU monitor's faults with injected time: each state has its own code and title,
 * garbage and hangs are killed and recovered from, a lost driver is retried with a capped
 * backoff, and nothing asks for processes while there is no GPU.
 */
import { describe, expect, it } from 'vitest';
import { MiB } from '../../../../src/shared/values/bytes.js';
import type { GpuSample } from '../../../../src/shared/devices/gpu.js';
import { GpuMonitor, type GpuMonitorOptions } from '../../../../src/main/core/gpu/index.js';
import { ManualClock, ScriptedSmi, type FakeChild } from './scripted-smi.js';

const ROW = '0, GPU-00000000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, 81559, 479, 11125, 69955, 100, 52, 432.00, 700.00, [N/A], 1980, Disabled\n';
const GARBAGE = '\u0000\u0007garbage: ###### 12,, N/A ;; \u001b[31m' + 'x'.repeat(300) + '\n';

function setup(options: Partial<GpuMonitorOptions> = {}) {
  const clock = new ManualClock();
  const smi = new ScriptedSmi();
  const samples: GpuSample[] = [];
  const monitor = new GpuMonitor({
    nvidiaSmi: '/usr/bin/nvidia-smi', intervalMs: 1000, processIntervalMs: 2000, startupGraceMs: 0,
    spawn: smi.spawn, timers: clock, now: () => clock.now, ...options,
  });
  monitor.on((s) => samples.push(s));
  /** Prints `line(tick)` every interval while the process lives. */
  const every = (child: FakeChild, line: (tick: number) => string | null): void => {
    let tick = 0;
    const go = (): void => {
      if (!child.alive) return;
      const text = line(++tick);
      if (text !== null) child.print(text);
      clock.setTimeout(go, 1000);
    };
    go();
  };
  return { clock, smi, samples, monitor, every };
}

describe('GpuMonitor faults (injected time)', () => {
  it('garbage for a while: a fault after 3 unreadable lines, killed, restarted, available again within seconds of sane output', async () => {
    const { clock, smi, samples, monitor, every } = setup();
    const saneFrom = 20_000;
    smi.stream = (_run, child) => every(child, () => (clock.now < saneFrom ? GARBAGE : ROW));
    await monitor.start();
    await clock.advance(3500);
    const fault = samples.find((s) => s.state === 'unreadable');
    expect(fault).toMatchObject({ available: false, code: 'EMB-E306', title: 'GPU readings unreadable — restarting nvidia-smi' });
    // A short printable excerpt, never the raw junk.
    expect([...(fault?.reason ?? '')].every((c) => c >= ' ')).toBe(true);
    expect(fault?.reason?.length).toBeLessThan(200);
    expect(smi.streams()[0]?.killedWith).toBe('SIGKILL');
    await clock.advance(saneFrom - clock.now);
    expect(samples.some((s) => s.available)).toBe(false);
    expect(smi.streams().length).toBeGreaterThan(2);
    await clock.advance(7000);
    const back = samples.find((s) => s.available);
    expect(back?.gpus).toHaveLength(1);
    expect((back?.at ?? Infinity) - saneFrom).toBeLessThanOrEqual(7000);
    await monitor.stop();
  });

  it('a lone unreadable line is not a fault: the stream keeps going', async () => {
    const { clock, smi, samples, monitor, every } = setup();
    smi.stream = (_run, child) => every(child, (t) => (t % 3 === 0 ? GARBAGE : ROW));
    await monitor.start();
    await clock.advance(10_000);
    expect(samples.every((s) => s.available)).toBe(true);
    expect(smi.streams()).toHaveLength(1);
    await monitor.stop();
  });

  it('notices a hang after 3 missed intervals, then restarts', async () => {
    const { clock, smi, samples, monitor, every } = setup();
    smi.stream = (run, child) => every(child, (t) => (run === 1 && t > 2 ? null : ROW));
    await monitor.start();
    await clock.advance(1000); // ticks at 0 and 1000, then silence
    expect(samples.at(-1)?.available).toBe(true);
    await clock.advance(2990);
    expect(samples.some((s) => s.state === 'hung')).toBe(false);
    await clock.advance(20);
    expect(samples.at(-1)).toMatchObject({ state: 'hung', code: 'EMB-E305', title: 'nvidia-smi stopped answering — restarting it' });
    await clock.advance(1100);
    expect(samples.at(-1)?.available).toBe(true);
    await monitor.stop();
  });

  it('"no devices" and a lost driver have their own codes and are retried from a few seconds, capped', async () => {
    const { clock, smi, samples, monitor } = setup({ noGpuBackoff: { initialMs: 3000, maxMs: 20_000 } });
    smi.stream = (run, child) => {
      if (run <= 2) {
        child.print('No devices were found\n');
        child.exit(6);
      } else {
        child.print('Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 590.48\nFailed to initialize NVML: Driver/library version mismatch\n');
        child.print("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n");
        child.exit(9);
      }
    };
    await monitor.start();
    await clock.advance(0);
    expect(samples.at(-1)).toMatchObject({ state: 'no-gpu', code: 'EMB-E303', title: 'No NVIDIA GPU found by the driver — running on CPU' });
    await clock.advance(3000);
    expect(smi.streams()).toHaveLength(2);
    await clock.advance(6000);
    expect(smi.streams()).toHaveLength(3);
    expect(samples.at(-1)).toMatchObject({ state: 'driver-lost', code: 'EMB-E304', title: 'NVIDIA driver not reachable — retrying' });
    const starts: number[] = [];
    const before = smi.streams().length;
    for (let t = 0; t < 200_000; t += 1000) {
      await clock.advance(1000);
      if (smi.streams().length > before + starts.length) starts.push(clock.now);
    }
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
    expect(Math.max(...gaps)).toBe(20_000);
    // No process query while there is no GPU.
    expect(smi.processQueries()).toHaveLength(0);
    expect(await monitor.processMemory(1)).toBeNull();
    expect(smi.processQueries()).toHaveLength(0);
    await monitor.stop();
  });

  it('an exit, and a spawn that fails, are states of their own', async () => {
    const { clock, smi, samples, monitor, every } = setup();
    smi.stream = (run, child) => {
      if (run === 1) {
        child.printErr('Unable to determine the device handle for GPU0000:00:09.0: Unknown Error\n');
        child.exit(1);
      } else every(child, () => ROW);
    };
    await monitor.start();
    await clock.advance(0);
    expect(samples.at(-1)).toMatchObject({ state: 'exited', code: 'EMB-E302' });
    expect(samples.at(-1)?.reason).toMatch(/exited with code 1/);
    await clock.advance(1100);
    expect(samples.at(-1)?.available).toBe(true);
    await monitor.stop();

    const b = setup();
    b.smi.throwOnSpawn = Object.assign(new Error('spawn EACCES'), { code: 'EACCES' });
    await b.monitor.start();
    expect(b.samples.at(-1)).toMatchObject({ state: 'cannot-start', code: 'EMB-E307', title: 'nvidia-smi could not be started — retrying' });
    b.smi.throwOnSpawn = null;
    b.smi.stream = (_run, child) => b.every(child, () => ROW);
    await b.clock.advance(1100);
    expect(b.samples.at(-1)?.available).toBe(true);
    await b.monitor.stop();
  });

  it('garbage from the per-process query reads as unknown, not as an empty list; repeated failures back off', async () => {
    const { clock, smi, samples, monitor, every } = setup();
    let appsGarbage = false;
    smi.stream = (_run, child) => every(child, () => ROW);
    smi.oneShot = (c) => {
      c.print(appsGarbage ? GARBAGE : 'GPU-00000000-0000-0000-0000-000000000000, 4242, modelbay-host, 512\n');
      c.exit(0);
    };
    await monitor.start();
    await clock.advance(5000);
    expect(samples.at(-1)).toMatchObject({ processesKnown: true });
    expect(samples.at(-1)?.processes).toEqual([expect.objectContaining({ pid: 4242, usedMemoryBytes: 512 * MiB, gpuIndex: 0 })]);
    appsGarbage = true;
    await clock.advance(4000);
    expect(samples.at(-1)).toMatchObject({ available: true, processesKnown: false });
    expect(samples.at(-1)?.processesReason).toMatch(/EMB-E308/);
    expect(await monitor.processMemory(4242)).toBeNull();
    // Failing queries in a row slow down instead of running every 2 s.
    const at = smi.processQueries().length;
    await clock.advance(60_000);
    expect(smi.processQueries().length - at).toBeLessThan(60_000 / 2000 / 2);
    appsGarbage = false;
    await clock.advance(40_000);
    expect(samples.at(-1)).toMatchObject({ processesKnown: true });
    await monitor.stop();
  });

  it('after a fault, the process list is unknown until asked again (at once), never the list from before', async () => {
    const { clock, smi, samples, monitor, every } = setup();
    smi.stream = (run, child) => every(child, (t) => (run === 1 && t > 4 ? null : ROW));
    smi.oneShot = (c) => {
      c.print('GPU-00000000-0000-0000-0000-000000000000, 4242, modelbay-host, 512\n');
      c.exit(0);
    };
    await monitor.start();
    await clock.advance(3000);
    expect(samples.at(-1)).toMatchObject({ available: true, processesKnown: true });
    await clock.advance(4000);
    const fault = samples.findIndex((s) => s.state === 'hung');
    expect(fault).toBeGreaterThan(0);
    await clock.advance(1100);
    const back = samples.slice(fault).find((s) => s.available);
    expect(back).toMatchObject({ processesKnown: false, processes: [] });
    const queries = smi.processQueries().length;
    await clock.advance(1000);
    expect(smi.processQueries().length).toBe(queries + 1);
    expect(samples.at(-1)).toMatchObject({ available: true, processesKnown: true });
    await monitor.stop();
  });
});
