/**
 * A slot on a MIG instance, end to end on the main side: the fake nvidia-smi replays the
 * H100 MIG capture, the instances become devices with their own budget and free memory,
 * and the session host for an instance is a real process started with
 * CUDA_VISIBLE_DEVICES=<its MIG UUID>, loading on CUDA device 0.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GiB, MiB } from '../../../../src/shared/values/bytes.js';
import type { GpuSample } from '../../../../src/shared/devices/gpu.js';
import { applyGpuSample, defaultGpuBudget, GpuMonitor, gpuDevices, MigDirectory } from '../../../../src/main/core/gpu/index.js';
import { ForkLauncher } from '../../../../src/main/core/runtime/fork-launcher.js';
import { HostPool } from '../../../../src/main/core/runtime/host-pool.js';
import { OnnxSessionFactory, parseDevice } from '../../../../src/main/core/runtime/session-factory.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';

const FAKE = join(import.meta.dirname, '../../../../src/devkit/nvidia-smi/bin/nvidia-smi');
const HOST = join(import.meta.dirname, '../../../fixtures/hosts/env-echo-host.js');
const MIG_CAPTURE = 'linux-x86_64__nvidia-h100-mig__590.48.01.txt';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function migSample(): Promise<GpuSample> {
  const monitor = new GpuMonitor({ nvidiaSmi: FAKE, intervalMs: 100, processIntervalMs: 100, stallMs: 5000, env: { ...process.env, FAKE_NVIDIA_SMI_CAPTURE: MIG_CAPTURE } });
  cleanup.push(() => monitor.stop());
  const got = new Promise<GpuSample>((resolve) => monitor.on((s) => {
    if (s.available && (s.gpus[0]?.migInstances ?? []).length > 0) resolve(s);
  }));
  await monitor.start();
  return got;
}

describe('a slot on a MIG instance', () => {
  it('gets the instance as its device: budget, free memory, and CUDA_VISIBLE_DEVICES=<MIG UUID> in its host', async () => {
    const sample = await migSample();
    const slots = new SlotManager();
    const migs = new MigDirectory();
    migs.remember(sample);
    // A 30 GiB budget asked for: the 40 GB instance gets it, the 10 GB ones only what they have.
    const added = applyGpuSample(slots, sample, (m) => Math.max(30 * GiB, defaultGpuBudget(m)));
    expect(added).toEqual(gpuDevices(sample));
    expect(added).not.toContain('cuda:0');
    const big = 'cuda:0/mig:3g.40gb:00000000';
    const small = 'cuda:0/mig:1g.10gb:00000002';
    expect(slots.pressure(big).budgetBytes).toBe(30 * GiB);
    expect(slots.pressure(small).budgetBytes).toBe(9984 * MiB);
    // Free memory is the instance's (load state: 11091 MiB used of 40448), not the whole GPU's.
    const snap = slots.snapshots().find((d) => d.device === big);
    expect(snap?.deviceFreeBytes).toBe((40448 - 11091) * MiB);

    const dir = mkdtempSync(join(tmpdir(), 'modelbay-mig-'));
    cleanup.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const echo = join(dir, 'env.txt');
    writeFileSync(echo, '');
    const launcher = new ForkLauncher({ entry: HOST, env: { ...process.env, ENV_ECHO_FILE: echo, CUDA_VISIBLE_DEVICES: 'inherited-must-be-replaced' } });
    const pool = new HostPool({ launcher, deviceEnv: (d) => migs.env(d) });
    cleanup.push(() => pool.shutdown());
    const model = join(dir, 'model.onnx');
    writeFileSync(model, 'x');
    const factory = new OnnxSessionFactory({
      pool, resolve: () => Promise.resolve({ model, externalData: [], tokenizer: null, pooling: null, dims: 2 }),
    });
    const session = await factory.create({ slot: 'E1', device: small, estimateBytes: 0, signal: new AbortController().signal });
    const host = pool.host(small);
    expect(host?.pid).toBeGreaterThan(0);
    expect(readFileSync(echo, 'utf8')).toBe(`${small}\tMIG-00000002-0000-0000-0000-000000000002\n`);
    expect(session.device).toBe(small);
    // With only the instance visible, CUDA calls it device 0.
    expect(parseDevice(small)).toEqual({ provider: 'cuda', deviceId: 0 });
    await session.release();
  });

  it('refuses a host for an instance that is not (any more) listed, with EMB-E309', async () => {
    const migs = new MigDirectory();
    const launcher = new ForkLauncher({ entry: HOST });
    const pool = new HostPool({ launcher, deviceEnv: (d) => migs.env(d) });
    cleanup.push(() => pool.shutdown());
    await expect(pool.acquire('cuda:0/mig:1g.10gb:deadbeef')).rejects.toMatchObject({ code: 'EMB-E309' });
    expect(migs.env('cuda:0')).toEqual({});
  });
});
