import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelbayError } from '../../../src/shared/errors/errors.js';
import type { SlotId } from '../../../src/shared/slots/slots.js';
import { OnnxSessionFactory, type SlotFiles } from '../../../src/main/core/runtime/session-factory.js';
import type { HostPool } from '../../../src/main/core/runtime/host-pool.js';
import { writeEmbeddingModel, type EmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { filesOf, processGone, signal, testPool } from './test-hosts.js';

describe('session host faults', () => {
  let dir: string;
  let model: EmbeddingModel;
  let pool: HostPool;
  let factory: OnnxSessionFactory;
  const lost: Array<{ slot: SlotId; error: ModelbayError }> = [];
  const files = new Map<SlotId, SlotFiles>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelbay-faults-'));
    model = await writeEmbeddingModel({ dir: join(dir, 'good'), vocab: 4000, dim: 64 });
    const bytes = await readFile(model.modelPath);
    await writeFile(join(dir, 'truncated.onnx'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    await writeFile(join(dir, 'corrupt.onnx'), Buffer.from('this is not a protobuf at all, just text pretending to be a model'.repeat(100)));
    pool = testPool({ onSessionLost: (slot, error) => lost.push({ slot, error }) });
    factory = new OnnxSessionFactory({
      pool,
      resolve: (slot) => Promise.resolve(files.get(slot) ?? filesOf(model)),
      loadOptions: { intraOpNumThreads: 1 },
    });
  });

  afterAll(async () => {
    await pool.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  const load = (slot: SlotId, device = 'cpu') => factory.create({ slot, device, estimateBytes: 0, signal: signal() });

  it('fails a corrupt or truncated model with EMB-E202 and keeps the host serving others', async () => {
    const good = await load('E1');
    for (const name of ['corrupt.onnx', 'truncated.onnx']) {
      files.set('E2', filesOf(model, { model: join(dir, name) }));
      const err = await load('E2').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'EMB-E202' });
      expect((err as Error).message).toMatch(/corrupt, truncated or not an ONNX model/);
    }
    // Same host process, still working.
    expect(pool.host('cpu')?.pid).toBe(good.pid);
    expect((await good.embed(['cat'])).count).toBe(1);
    await good.release();
  });

  it('shuts an otherwise idle host down after a failed load; the next load starts a new one', async () => {
    files.set('E3', filesOf(model, { model: join(dir, 'corrupt.onnx') }));
    await expect(load('E3')).rejects.toMatchObject({ code: 'EMB-E202' });
    expect(pool.hosts()).toEqual([]);
    files.delete('E3');
    const s = await load('E3');
    expect((await s.embed(['dog'])).count).toBe(1);
    await s.release();
  });

  it('reports a missing file as EMB-E101 before starting a host', async () => {
    files.set('E4', filesOf(model, { model: join(dir, 'nope.onnx') }));
    await expect(load('E4')).rejects.toMatchObject({ code: 'EMB-E101' });
    expect(pool.hosts()).toEqual([]);
  });

  it('fails the in-flight embed of a SIGKILLed host with EMB-E203, reports its slots lost, and recovers', async () => {
    const a = await load('E5');
    const b = await load('E6');
    const pid = a.pid;
    lost.length = 0;
    const texts = Array.from({ length: 2000 }, (_, i) => `w${(i % 3000) + 30} semantic search vector number ${i}`);
    const inflight = a.embed(texts);
    // Kill in the same tick: the reply cannot have arrived, so the request is certainly in
    // flight (a fixed sleep raced with a fast host and let the embed finish first).
    process.kill(pid, 'SIGKILL');
    const err = await inflight.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E203' });
    expect((err as Error).message).toMatch(/SIGKILL/);
    expect(lost.map((l) => l.slot).sort()).toEqual(['E5', 'E6']);
    expect(lost[0]?.error.code).toBe('EMB-E203');
    // The dead sessions say so; releasing them is harmless.
    await expect(b.embed(['cat'])).rejects.toMatchObject({ code: 'EMB-E203' });
    await Promise.all([a.release(), b.release()]);
    expect(processGone(pid)).toBe(true);
    // Main is fine, and the next load gets a fresh host.
    const c = await load('E5');
    expect(c.pid).not.toBe(pid);
    expect((await c.embed(['hello'])).count).toBe(1);
    await c.release();
  });

  it('maps missing CUDA provider libraries to EMB-E201 with the remedy', async () => {
    const err = await load('E7', 'cuda:0').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E201' });
    expect((err as Error).message).toMatch(/Failed to load shared library.*move the slot to the CPU/s);
    expect(pool.hosts()).toEqual([]);
  });

  it('refuses CPU placement in strict GPU mode (EMB-E204) without starting a host', async () => {
    let strict = true;
    const f = new OnnxSessionFactory({ pool, resolve: () => Promise.resolve(filesOf(model)), strictGpu: () => strict });
    await expect(f.create({ slot: 'E8', device: 'cpu', estimateBytes: 0, signal: signal() })).rejects.toMatchObject({ code: 'EMB-E204' });
    expect(pool.hosts()).toEqual([]);
    strict = false;
    const s = await f.create({ slot: 'E8', device: 'cpu', estimateBytes: 0, signal: signal() });
    await s.release();
  });
});
