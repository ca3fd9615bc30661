import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../../../src/shared/values/bytes.js';
import type { ModelbayError } from '../../../../src/shared/errors/errors.js';
import type { SlotId } from '../../../../src/shared/slots/slots.js';
import { HostPool } from '../../../../src/main/core/runtime/host-pool.js';
import { OnnxSessionFactory, parseDevice, splitEmbeddings } from '../../../../src/main/core/runtime/session-factory.js';
import { SessionHost } from '../../../../src/main/core/runtime/session-host.js';
import { writeEmbeddingModel } from '../../../../src/devkit/onnx/embedding-model.js';
import { ScriptedLauncher, wellBehaved, type Script } from './scripted-launcher.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'modelbay-factory-'));
const model = await writeEmbeddingModel({ dir, vocab: 500, dim: 8 });
const files = { model: model.modelPath, externalData: [], tokenizer: model.tokenizerPath, pooling: 'mean' as const, dims: 8 };
const signal = new AbortController().signal;

function setup(script: Script = wellBehaved, gpu?: (pid: number) => Promise<number | null>) {
  const launcher = new ScriptedLauncher(script);
  const lost: Array<{ slot: SlotId; error: ModelbayError }> = [];
  const pool = new HostPool({ launcher, onSessionLost: (slot, error) => lost.push({ slot, error }) });
  const factory = new OnnxSessionFactory({ pool, resolve: () => Promise.resolve(files), ...(gpu ? { gpuMemory: gpu } : {}) });
  return { launcher, pool, factory, lost };
}

describe('OnnxSessionFactory on GPU devices (scripted host)', () => {
  it('asks for the CUDA provider with the device id and measures the host\'s GPU memory growth', async () => {
    const readings = [300 * MiB, 800 * MiB, 800 * MiB, 1000 * MiB];
    const { launcher, factory, pool } = setup(wellBehaved, () => Promise.resolve(readings.shift() ?? null));
    const a = await factory.create({ slot: 'E1', device: 'cuda:1', estimateBytes: 900 * MiB, signal });
    const load = launcher.hosts[0]?.received.find((r) => r.kind === 'load');
    expect(load).toMatchObject({ provider: 'cuda', deviceId: 1, model: model.modelPath, pooling: 'mean', dims: 8 });
    expect(a.measuredBytes).toBe(500 * MiB);
    // The session keeps the registry's one estimate (which charges the CUDA context to a host's first session).
    const b = await factory.create({ slot: 'E2', device: 'cuda:1', estimateBytes: 400 * MiB, signal });
    expect([a.estimateBytes, b.estimateBytes]).toEqual([900 * MiB, 400 * MiB]);
    expect(b.measuredBytes).toBe(200 * MiB);
    expect(launcher.hosts).toHaveLength(1);
    await a.release();
    expect(pool.hasHost('cuda:1')).toBe(true);
    await b.release();
    expect(pool.hasHost('cuda:1')).toBe(false);
    expect(launcher.hosts[0]?.received.map((r) => r.kind)).toEqual(['load', 'load', 'unload', 'unload', 'shutdown']);
  });

  it('keeps the estimate (measured null) when GPU memory cannot be read', async () => {
    const { factory } = setup(wellBehaved, () => Promise.resolve(null));
    const s = await factory.create({ slot: 'E1', device: 'cuda:0', estimateBytes: 0, signal });
    expect(s.measuredBytes).toBeNull();
    await s.release();
  });

  it('measures RSS growth on the CPU, never below the weights that must be resident', async () => {
    const { factory } = setup();
    const s = await factory.create({ slot: 'E1', device: 'cpu', estimateBytes: 0, signal });
    // The scripted host reports 50 B of growth; the model file is larger.
    const weights = statSync(model.modelPath).size;
    expect(weights).toBeGreaterThan(50);
    expect(s.measuredBytes).toBe(weights);
    expect(splitEmbeddings(await s.embed(['a', 'b']))).toHaveLength(2);
    await s.release();
  });

  it('passes the host\'s EMB-E201 through and stops the idle host', async () => {
    const { factory, pool } = setup((req, host) => {
      if (req.kind === 'load') throw Object.assign(new Error('x'), { toJSON: () => ({ code: 'EMB-E201', message: 'CUDA provider missing', details: {} }) });
      return wellBehaved(req, host);
    });
    await expect(factory.create({ slot: 'E1', device: 'cuda:0', estimateBytes: 0, signal })).rejects.toMatchObject({ code: 'EMB-E201' });
    expect(pool.hosts()).toEqual([]);
  });

  it('reports sessions of a crashed host as lost and fails their calls with EMB-E203', async () => {
    const { factory, launcher, lost } = setup((req, host) => (req.kind === 'embed' ? undefined : wellBehaved(req, host)));
    const s = await factory.create({ slot: 'E3', device: 'cuda:0', estimateBytes: 0, signal });
    const pending = s.embed(['x']);
    launcher.hosts[0]?.die({ code: null, signal: 'SIGKILL', stderr: 'CUDA out of memory' });
    const err = (await pending.catch((e: unknown) => e)) as ModelbayError;
    expect(err).toMatchObject({ code: 'EMB-E203' });
    expect(err.message).toMatch(/SIGKILL.*memory ran out.*CUDA out of memory/);
    expect(lost.map((l) => l.slot)).toEqual(['E3']);
    await expect(s.embed(['x'])).rejects.toMatchObject({ code: 'EMB-E203' });
    await s.release();
    const again = await factory.create({ slot: 'E3', device: 'cuda:0', estimateBytes: 0, signal });
    expect(launcher.hosts).toHaveLength(2);
    await again.release();
  });

  it('rejects malformed replies with EMB-E500 instead of trusting them', async () => {
    const { factory } = setup((req, host) => (req.kind === 'load' ? { inputNames: 'nope' } : wellBehaved(req, host)));
    await expect(factory.create({ slot: 'E1', device: 'cpu', estimateBytes: 0, signal })).rejects.toMatchObject({ code: 'EMB-E500' });
  });

  it('validates embed input and refuses unknown devices', async () => {
    const { factory } = setup();
    const s = await factory.create({ slot: 'E1', device: 'cpu', estimateBytes: 0, signal });
    await expect(s.embed([])).rejects.toMatchObject({ code: 'EMB-E002' });
    await expect(s.embed([1 as unknown as string])).rejects.toMatchObject({ code: 'EMB-E002' });
    await s.release();
    await expect(s.embed(['a'])).rejects.toMatchObject({ code: 'EMB-E005' });
    expect(() => parseDevice('gpu0')).toThrow(expect.objectContaining({ code: 'EMB-E008' }) as Error);
    expect(parseDevice('cuda:3')).toEqual({ provider: 'cuda', deviceId: 3 });
  });

  it('cancels a load whose signal was aborted and releases what it loaded', async () => {
    const { factory, launcher, pool } = setup();
    const ac = new AbortController();
    const p = factory.create({ slot: 'E1', device: 'cpu', estimateBytes: 0, signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeDefined();
    expect(pool.hosts()).toEqual([]);
    expect(launcher.hosts.every((h) => h.exited !== null)).toBe(true);
  });
});

describe('SessionHost time limits', () => {
  it('kills a host that does not answer in time (EMB-E206)', async () => {
    const launcher = new ScriptedLauncher((req, host) => (req.kind === 'stats' ? undefined : wellBehaved(req, host)));
    const host = new SessionHost('cpu', launcher, { requestTimeoutMs: { stats: 1 } });
    await host.start();
    await expect(host.request('stats', {})).rejects.toMatchObject({ code: 'EMB-E206' });
    await new Promise<void>((resolve) => host.onExit(() => resolve()));
    expect(host.alive).toBe(false);
  });

  it('fails start() with EMB-E203 when the host dies before it is ready', async () => {
    const launcher = new ScriptedLauncher(wellBehaved);
    const host = new SessionHost('cpu', { launch: () => { const h = launcher.launch(); (h as unknown as { die(e: object): void }).die({ code: 1, signal: null, stderr: 'Error: Cannot find module' }); return h; } });
    await expect(host.start()).rejects.toMatchObject({ code: 'EMB-E203', message: expect.stringMatching(/code 1.*Cannot find module/) as string });
  });
});
