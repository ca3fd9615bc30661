import { mkdtempSync } from 'node:fs';
import { mkdir, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateSessionBytes, readModelShape } from '../../../src/main/core/runtime/index.js';
import type { SlotId } from '../../../src/shared/slots/slots.js';
import { OnnxSessionFactory, splitEmbeddings, type SlotFiles } from '../../../src/main/core/runtime/session-factory.js';
import type { HostPool } from '../../../src/main/core/runtime/host-pool.js';
import { l2normalize, tableRow } from '../../../src/devkit/onnx/embedding-table.js';
import { writeEmbeddingModel, type EmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { CLS_ID } from '../../../src/devkit/onnx/tokenizer-json.js';
import { filesOf, signal, testPool } from './test-hosts.js';

const TEXTS = [
  'Hello world',
  'the model runs fast on the gpu',
  'cat',
  'A dog, a cat and a semantic search vector!',
  'w100 w200 w300 w400 w500 w600 w700 w800 w900',
  'unknown words map to unk',
  'slot memory graph code token',
  'embedding',
  'the the the the',
  'fast slow fast slow',
];

function expectClose(actual: Float32Array | undefined, expected: ArrayLike<number>): void {
  if (!actual) throw new Error('missing vector');
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(Math.abs((actual[i] ?? NaN) - (expected[i] ?? NaN))).toBeLessThan(1e-5);
}

describe('embeddings through a real CPU session host', () => {
  let dir: string;
  let pool: HostPool;
  let sentence: EmbeddingModel;
  let tokens: EmbeddingModel;
  let external: EmbeddingModel;
  const files = new Map<SlotId, SlotFiles>();
  let factory: OnnxSessionFactory;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelbay-embed-'));
    sentence = await writeEmbeddingModel({ dir: join(dir, 'sentence'), vocab: 2000, dim: 32, seed: 7 });
    tokens = await writeEmbeddingModel({ dir: join(dir, 'tokens'), vocab: 2000, dim: 24, seed: 9, outputs: ['last_hidden_state'], tokenTypeIds: false });
    external = await writeEmbeddingModel({ dir: join(dir, 'external'), vocab: 3000, dim: 16, seed: 11, externalData: true, outputs: ['sentence_embedding', 'last_hidden_state'] });
    pool = testPool();
    factory = new OnnxSessionFactory({
      pool,
      resolve: (slot) => {
        const f = files.get(slot);
        return f ? Promise.resolve(f) : Promise.reject(new Error(`no files for ${slot}`));
      },
      loadOptions: { intraOpNumThreads: 1, batchSize: 4 },
    });
  });

  afterAll(async () => {
    await pool.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('matches independently computed embeddings, in order, across batches of mixed lengths', async () => {
    files.set('E1', filesOf(sentence));
    // The registry's one estimate, from the model's own shape, reaches the session as is.
    const estimate = estimateSessionBytes({ fileBytes: sentence.files[0]?.bytes ?? 0, device: 'cpu', shape: readModelShape(sentence.modelPath) });
    const s = await factory.create({ slot: 'E1', device: 'cpu', estimateBytes: estimate, signal: signal() });
    expect(s.load.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(s.load.output).toBe('sentence_embedding');
    const e = await s.embed(TEXTS);
    expect(e).toMatchObject({ dims: 32, count: TEXTS.length, lengths: null });
    const vectors = splitEmbeddings(e);
    TEXTS.forEach((t, i) => expectClose(vectors[i], sentence.reference(t)));
    // The estimate is known before the load; the measurement (RSS growth) after it.
    expect(s.estimateBytes).toBe(estimate);
    expect(s.estimateBytes).toBeGreaterThan(sentence.files[0]?.bytes ?? 0);
    expect(s.measuredBytes).toBeGreaterThanOrEqual(0);
    await s.release();
  });

  it('pools token states in the host: mean, CLS, and none (token-level)', async () => {
    files.set('E2', filesOf(tokens, { pooling: 'mean' }));
    files.set('E3', filesOf(tokens, { pooling: 'cls' }));
    files.set('E12', filesOf(tokens, { pooling: 'none' }));
    const [mean, cls, none] = await Promise.all((['E2', 'E3', 'E12'] as const).map((slot) => factory.create({ slot, device: 'cpu', estimateBytes: 0, signal: signal() })));
    if (!mean || !cls || !none) throw new Error('load failed');
    // One host for the device, holding all three sessions.
    expect(new Set([mean.pid, cls.pid, none.pid]).size).toBe(1);
    expect(mean.load.inputNames).toEqual(['input_ids', 'attention_mask']);

    const m = splitEmbeddings(await mean.embed(TEXTS));
    TEXTS.forEach((t, i) => expectClose(m[i], tokens.reference(t)));

    const c = splitEmbeddings(await cls.embed(['cat', 'hello world']));
    const clsVector = l2normalize(Float64Array.from(tableRow(tokens.seed, tokens.dim, CLS_ID)));
    expectClose(c[0], clsVector);
    expectClose(c[1], clsVector);

    const text = 'Hello gpu memory';
    const n = await none.embed([text, 'cat']);
    const ids = tokens.ids(text);
    expect(n.lengths).toEqual([ids.length, tokens.ids('cat').length]);
    const perToken = splitEmbeddings(n)[0];
    ids.forEach((id, t) => expectClose(perToken?.subarray(t * tokens.dim, (t + 1) * tokens.dim), l2normalize(Float64Array.from(tableRow(tokens.seed, tokens.dim, id)))));
    await Promise.all([mean.release(), cls.release(), none.release()]);
  });

  it('loads a model whose weights are in an external data file', async () => {
    files.set('E4', filesOf(external));
    const s = await factory.create({ slot: 'E4', device: 'cpu', estimateBytes: 0, signal: signal() });
    expect(s.load.outputNames).toEqual(['sentence_embedding', 'last_hidden_state']);
    const v = splitEmbeddings(await s.embed(['semantic search', 'code graph']));
    expectClose(v[0], external.reference('semantic search'));
    expectClose(v[1], external.reference('code graph'));
    await s.release();
  });

  it('loads from a Hugging Face cache snapshot of symlinks to content-addressed blobs', async () => {
    // The artifact manager hands out snapshot paths; external data is found beside the model link.
    const m = await writeEmbeddingModel({ dir: join(dir, 'hf-src'), vocab: 500, dim: 8, seed: 5, externalData: true });
    const blobs = join(dir, 'hf', 'blobs');
    const snapshot = join(dir, 'hf', 'snapshots', 'abc123', 'onnx');
    await mkdir(blobs, { recursive: true });
    await mkdir(snapshot, { recursive: true });
    const link = async (file: string, name: string, blob: string): Promise<string> => {
      await rename(file, join(blobs, blob));
      await symlink(join(blobs, blob), join(snapshot, name));
      return join(snapshot, name);
    };
    files.set('E10', {
      model: await link(m.modelPath, 'model.onnx', 'aaaa'),
      externalData: [await link(m.externalData[0] ?? '', 'model.onnx_data', 'bbbb')],
      tokenizer: await link(m.tokenizerPath, 'tokenizer.json', 'cccc'),
      pooling: 'mean',
      dims: 8,
    });
    const s = await factory.create({ slot: 'E10', device: 'cpu', estimateBytes: 0, signal: signal() });
    expectClose(splitEmbeddings(await s.embed(['hello']))[0], m.reference('hello'));
    await s.release();
  });

  it('truncates long inputs to the maximum length, keeping [SEP]', async () => {
    const f = new OnnxSessionFactory({ pool, resolve: () => Promise.resolve(filesOf(sentence)), loadOptions: { maxSequenceLength: 8, intraOpNumThreads: 1 } });
    const s = await f.create({ slot: 'E5', device: 'cpu', estimateBytes: 0, signal: signal() });
    const long = 'w30 w31 w32 w33 w34 w35 w36 w37 w38 w39 w40';
    const ids = sentence.ids(long);
    const kept = [...ids.slice(0, 7), ids[ids.length - 1] ?? 0];
    const expected = l2normalize(kept.reduce((acc, id) => {
      const row = tableRow(sentence.seed, sentence.dim, id);
      return acc.map((x, j) => x + (row[j] ?? 0) / kept.length);
    }, new Float64Array(sentence.dim)));
    expectClose(splitEmbeddings(await s.embed([long]))[0], expected);
    await s.release();
  });

  it('reports the host and its sessions in stats', async () => {
    files.set('E6', filesOf(sentence));
    const s = await factory.create({ slot: 'E6', device: 'cpu', estimateBytes: 0, signal: signal() });
    await s.embed(['cat', 'dog']);
    const host = pool.host('cpu');
    const stats = await host?.request('stats', {});
    expect(stats?.pid).toBe(s.pid);
    expect(stats?.sessions).toEqual([expect.objectContaining({ session: s.key, provider: 'cpu', embedded: 2 })]);
    await s.release();
  });

  it('refuses a catalog dimension the model does not produce (EMB-E202)', async () => {
    files.set('E7', filesOf(sentence, { dims: 768 }));
    await expect(factory.create({ slot: 'E7', device: 'cpu', estimateBytes: 0, signal: signal() })).rejects.toMatchObject({ code: 'EMB-E202' });
  });

  it('loads without a tokenizer but cannot embed text (EMB-E205); a broken tokenizer fails the load', async () => {
    files.set('E8', filesOf(sentence, { tokenizer: null }));
    const s = await factory.create({ slot: 'E8', device: 'cpu', estimateBytes: 0, signal: signal() });
    await expect(s.embed(['cat'])).rejects.toMatchObject({ code: 'EMB-E205' });
    await s.release();
    files.set('E9', filesOf(sentence, { tokenizer: sentence.modelPath }));
    await expect(factory.create({ slot: 'E9', device: 'cpu', estimateBytes: 0, signal: signal() })).rejects.toMatchObject({ code: 'EMB-E205' });
  });
});
