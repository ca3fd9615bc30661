/** The App with the fake nvidia-smi (real captures): GPUs become devices with budgets, and slots follow them. */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GiB } from '../../../src/shared/values/bytes.js';
import type { AppEvent } from '../../../src/shared/contract/api.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';

const FAKE = join(import.meta.dirname, '../../../src/devkit/nvidia-smi/bin/nvidia-smi');
const gpu = (env: Record<string, string> = {}) => ({
  nvidiaSmi: FAKE,
  intervalMs: 100,
  processIntervalMs: 100,
  stallMs: 5000,
  env: { ...process.env, FAKE_NVIDIA_SMI_GPUS: '2', ...env },
});

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('App with GPUs (fake nvidia-smi)', () => {
  it('each GPU becomes cuda:N with the default budget; samples are forwarded', async () => {
    const h = await harness({ app: { gpu: gpu() } });
    open.push(h);
    await h.app.start();
    const snap = h.app.snapshot();
    expect(snap.devices.map((d) => d.device)).toEqual(['cpu', 'cuda:0', 'cuda:1']);
    expect(snap.devices.find((d) => d.device === 'cuda:0')?.budgetBytes).toBe(8 * GiB);
    expect(snap.gpu?.available).toBe(true);
    expect(h.events.some((e) => e.type === 'gpu' && e.sample.gpus.length === 2)).toBe(true);
    expect(h.events.some((e) => e.type === 'activity' && e.entry.message.startsWith('Found cuda:1'))).toBe(true);
  });

  it('gpuBudgetBytes applies live to every GPU', async () => {
    const h = await harness({ app: { gpu: gpu() } });
    open.push(h);
    await h.app.start();
    const reply = await h.app.execute('updateSettings', { gpuBudgetBytes: 2 * GiB });
    expect(reply.ok).toBe(true);
    const devices = h.events.filter((e): e is Extract<AppEvent, { type: 'devices' }> => e.type === 'devices').at(-1)?.devices ?? [];
    expect(devices.filter((d) => d.device.startsWith('cuda:')).map((d) => d.budgetBytes)).toEqual([2 * GiB, 2 * GiB]);
  });

  it('a slot set to a GPU is saved, and after a restart it moves there once the GPU is seen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbay-app-gpu-'));
    dirs.push(dir);
    const first = await harness({ dir, app: { gpu: gpu() } });
    await first.app.start();
    const moved = await first.app.execute('setDevice', { slot: 'E7', device: 'cuda:1' });
    expect(moved.ok && moved.result).toMatchObject({ id: 'E7', device: 'cuda:1' });
    await first.close();

    const second = await harness({ dir, app: { gpu: gpu() } });
    open.push(second);
    // Before the monitor ran, cuda:1 is unknown: the slot waits on the CPU.
    expect(second.app.snapshot().slots.find((s) => s.id === 'E7')?.device).toBe('cpu');
    await second.app.start();
    expect(second.app.snapshot().slots.find((s) => s.id === 'E7')?.device).toBe('cuda:1');
  });

  it('slots with no device chosen go to cuda:0 when the CUDA provider is installed, and stay on the CPU when not', async () => {
    const withCuda = await harness({ app: { gpu: gpu(), cudaProvider: true } });
    open.push(withCuda);
    await withCuda.app.start();
    expect(new Set(withCuda.app.snapshot().slots.map((s) => s.device))).toEqual(new Set(['cuda:0']));
    const withoutCuda = await harness({ app: { gpu: gpu(), cudaProvider: false } });
    open.push(withoutCuda);
    await withoutCuda.app.start();
    expect(new Set(withoutCuda.app.snapshot().slots.map((s) => s.device))).toEqual(new Set(['cpu']));
  });

  it('without nvidia-smi the app runs on the CPU alone and says why', async () => {
    const h = await harness({ app: { gpu: { nvidiaSmi: null } } });
    open.push(h);
    await h.app.start();
    const snap = h.app.snapshot();
    expect(snap.devices.map((d) => d.device)).toEqual(['cpu']);
    expect(snap.gpu).toMatchObject({ available: false });
    expect(snap.gpu?.reason).toContain('nvidia-smi');
  });

  it('a MIG GPU offers its instances, not cuda:0: slots default to the first instance, budgets never exceed an instance', async () => {
    const h = await harness({ app: { gpu: gpu({ FAKE_NVIDIA_SMI_GPUS: '1', FAKE_NVIDIA_SMI_CAPTURE: 'linux-x86_64__nvidia-h100-mig__590.48.01.txt' }), cudaProvider: true } });
    open.push(h);
    await h.app.start();
    await expect.poll(() => h.app.snapshot().devices.length, { timeout: 10_000 }).toBe(5);
    const snap = h.app.snapshot();
    expect(snap.devices.map((d) => d.device)).toEqual(['cpu', 'cuda:0/mig:3g.40gb:00000000', 'cuda:0/mig:2g.20gb:00000001', 'cuda:0/mig:1g.10gb:00000002', 'cuda:0/mig:1g.10gb:00000003']);
    expect(new Set(snap.slots.map((s) => s.device))).toEqual(new Set(['cuda:0/mig:3g.40gb:00000000']));
    const reply = await h.app.execute('updateSettings', { gpuBudgetBytes: 30 * GiB });
    expect(reply.ok).toBe(true);
    const budgets = Object.fromEntries(h.app.snapshot().devices.map((d) => [d.device, d.budgetBytes]));
    expect(budgets['cuda:0/mig:3g.40gb:00000000']).toBe(30 * GiB);
    expect(budgets['cuda:0/mig:1g.10gb:00000002']).toBe(9984 * 1024 * 1024);
    expect(h.events.some((e) => e.type === 'activity' && e.entry.message.startsWith('Found cuda:0/mig:2g.20gb:00000001 (NVIDIA H100 80GB HBM3)'))).toBe(true);
  });
});
