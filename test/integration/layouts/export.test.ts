/**
 * Export to Triton and KServe against the test Hub. The config files parse as protobuf
 * text format (a small parser here) with Triton's fields; each name equals its folder; the
 * ONNX files are byte-identical to the locked ones; the ONNX model's config inputs are the
 * graph's inputs; following the ensemble's steps (tokenizer, onnxruntime-node, pooling as
 * its config says) gives the vectors /v1 returns; the InferenceService YAML has the fields.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandReply } from '../../../src/shared/contract/api.js';
import type { ExportResult, LockResult } from '../../../src/shared/layouts/layouts.js';
import { composeApp, type Composition } from '../../../src/main/startup/compose.js';
import { TextTokenizer } from '../../../src/main/host/text-tokenizer.js';
import { startServer, type RunningServer } from '../../../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../../../src/main/server/server-token.js';
import { startHubServer, type HubServer } from '../../../src/devkit/hub/hub-server.js';
import { writeEmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { writeCatalog } from '../../../src/devkit/artifacts/test-catalog.js';
import { testLauncher } from '../runtime/test-hosts.js';

function ok<T>(reply: CommandReply): T {
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// ── protobuf text format, as much as Triton's configs use ────────────────────────
type PbNode = { [field: string]: PbItem[] };
type PbItem = string | number | PbNode;

function parsePbtxt(text: string): PbNode {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[{}[\]:,]|[^\s{}[\]:,"]+/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error('unexpected end of the config');
    return t;
  };
  const scalar = (t: string): string | number => {
    if (t.startsWith('"')) return JSON.parse(t) as string;
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) throw new Error(`not a value: ${t}`);
    return t; // an enum name or true/false
  };
  const message = (end: string | null): PbNode => {
    const node: PbNode = {};
    while (peek() !== end) {
      const name = next();
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a field name: ${name}`);
      if (peek() === ':') next();
      const values: PbItem[] = [];
      if (peek() === '{') {
        next();
        values.push(message('}'));
        next();
      } else if (peek() === '[') {
        next();
        while (peek() !== ']') {
          if (peek() === '{') {
            next();
            values.push(message('}'));
            next();
          } else values.push(scalar(next()));
          if (peek() === ',') next();
        }
        next();
      } else values.push(scalar(next()));
      (node[name] ??= []).push(...values);
    }
    return node;
  };
  const root = message(undefined as unknown as string);
  return root;
}
const one = (n: PbNode, f: string): PbItem | undefined => n[f]?.[0];
const msgs = (n: PbNode, f: string): PbNode[] => (n[f] ?? []) as PbNode[];
const param = (n: PbNode, key: string): string => {
  const entry = msgs(n, 'parameters').find((p) => one(p, 'key') === key);
  return one(one(entry ?? {}, 'value') as PbNode, 'string_value') as string;
};

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

/** The pool step of the export (its model.py) for the modes these models use. */
function pool(mode: string, states: Float32Array, dims: readonly number[], mask: BigInt64Array, row: number): number[] {
  const [, seq = 1, width = dims[1] ?? 0] = dims.length === 3 ? dims : [dims[0], 1, dims[1]];
  const out = new Array<number>(width).fill(0);
  if (mode === 'pooled') {
    for (let j = 0; j < width; j++) out[j] = states[row * width + j] ?? 0;
  } else if (mode === 'mean') {
    let n = 0;
    for (let t = 0; t < seq; t++) {
      if (mask[row * seq + t] === 0n) continue;
      n++;
      for (let j = 0; j < width; j++) out[j] = (out[j] ?? 0) + (states[(row * seq + t) * width + j] ?? 0);
    }
    for (let j = 0; j < width; j++) out[j] = (out[j] ?? 0) / Math.max(n, 1);
  } else throw new Error(`pool mode ${mode} is not used by this test`);
  const norm = Math.max(Math.sqrt(out.reduce((s, x) => s + x * x, 0)), 1e-12);
  return out.map((x) => x / norm);
}

describe('export to Triton and KServe', () => {
  let dir: string;
  let hub: HubServer;
  let c: Composition;
  let server: RunningServer;
  let token: string;
  const files: Record<string, Buffer> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-export-'));
    const m1 = await writeEmbeddingModel({ dir: join(dir, 'gen1'), vocab: 300, dim: 16, seed: 1 });
    const m2 = await writeEmbeddingModel({ dir: join(dir, 'gen2'), vocab: 300, dim: 16, seed: 2, externalData: true, outputs: ['last_hidden_state'] });
    files['alpha/model.onnx'] = await readFile(m1.modelPath);
    files['tokenizer.json'] = await readFile(m1.tokenizerPath);
    files['beta/onnx/model.onnx'] = await readFile(m2.modelPath);
    files['beta/onnx/model.onnx_data'] = await readFile(m2.externalData[0] as string);
    hub = await startHubServer({ repos: [
      { id: 'org/alpha', commits: [{ files: [{ path: 'model.onnx', content: files['alpha/model.onnx'], lfs: true }, { path: 'tokenizer.json', content: files['tokenizer.json'], lfs: false }] }] },
      { id: 'org/beta', commits: [{ files: [{ path: 'onnx/model.onnx', content: files['beta/onnx/model.onnx'], lfs: true }, { path: 'onnx/model.onnx_data', content: files['beta/onnx/model.onnx_data'], lfs: true }, { path: 'tokenizer.json', content: files['tokenizer.json'], lfs: false }] }] },
    ] });
    const catalogPath = await writeCatalog(dir, {
      E1: { repo: 'org/alpha', revision: 'main', dims: 16, files: [{ path: 'model.onnx', role: 'model' }, { path: 'tokenizer.json', role: 'tokenizer' }] },
      E2: { repo: 'org/beta', revision: 'main', dims: 16, files: [{ path: 'onnx/model.onnx', role: 'model' }, { path: 'onnx/model.onnx_data', role: 'external-data' }, { path: 'tokenizer.json', role: 'tokenizer' }] },
    });
    const dataDir = join(dir, 'data');
    c = await composeApp({
      mode: 'headless', dataDir, catalogPath, launcher: testLauncher(),
      env: { HOME: dir, HF_HUB_CACHE: join(dir, 'hub'), HF_ENDPOINT: hub.endpoint },
      app: { gpu: { nvidiaSmi: null }, totalMemoryBytes: 16 * 1024 ** 3, hostLoadOptions: { intraOpNumThreads: 1, batchSize: 4, maxSequenceLength: 512 } },
    });
    await c.app.start();
    ok(await c.app.execute('download', { slot: 'E1' }));
    ok(await c.app.execute('download', { slot: 'E2' }));
    ok(await c.app.execute('setAlias', { slot: 'E1', alias: 'alpha.v1' }));
    token = loadOrCreateServerToken(dataDir);
    server = await startServer({ app: c.app, serving: c.app, token, port: 0, rendererDir: null });
  }, 120_000);
  afterAll(async () => {
    await server.close();
    await c.app.shutdown();
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a Triton repository whose configs parse, name their folders and type the graph inputs', async () => {
    const out = join(dir, 'triton');
    const result = ok<ExportResult>(await c.app.execute('exportLayout', { target: 'triton', dir: out }));
    expect(result.models.map((m) => [m.slot, m.name, m.instanceKind])).toEqual([['E1', 'e1-alpha-v1', 'KIND_CPU'], ['E2', 'e2', 'KIND_CPU']]);
    expect(result.files).toEqual(expect.arrayContaining(['README.md', 'modelbay.lock.json', 'e1-alpha-v1/config.pbtxt', 'e1-alpha-v1-onnx/1/model.onnx', 'e1-alpha-v1-tokenize/1/model.py', 'e1-alpha-v1-tokenize/1/tokenizer.json', 'e1-alpha-v1-pool/1/model.py', 'e2-onnx/1/model.onnx', 'e2-onnx/1/model.onnx_data']));
    for (const folder of (await readdir(out, { withFileTypes: true })).filter((e) => e.isDirectory())) {
      const config = parsePbtxt(await readFile(join(out, folder.name, 'config.pbtxt'), 'utf8'));
      expect(one(config, 'name')).toBe(folder.name);
      expect((await stat(join(out, folder.name, '1'))).isDirectory()).toBe(true);
      expect(folder.name).toMatch(/^[a-z][a-z0-9-]{0,62}$/);
    }
    // The ONNX model folder: the locked bytes, inputs and outputs typed from the graph.
    const lock = JSON.parse(await readFile(join(out, 'modelbay.lock.json'), 'utf8')) as LockResult['lock'];
    for (const [folder, slot, path] of [['e1-alpha-v1-onnx', 'E1', 'model.onnx'], ['e2-onnx', 'E2', 'onnx/model.onnx'], ['e2-onnx', 'E2', 'onnx/model.onnx_data']] as const) {
      const bytes = await readFile(join(out, folder, '1', path.replace(/^onnx\//, '')));
      expect(sha(bytes)).toBe(lock.slots.find((s) => s.slot === slot)?.files.find((f) => f.path === path)?.sha256);
      expect(bytes.equals(files[`${slot === 'E1' ? 'alpha' : 'beta'}/${path}`] as Buffer)).toBe(true);
    }
    for (const folder of ['e1-alpha-v1-onnx', 'e2-onnx']) {
      const config = parsePbtxt(await readFile(join(out, folder, 'config.pbtxt'), 'utf8'));
      expect(one(config, 'platform')).toBe('onnxruntime_onnx');
      expect(one(config, 'max_batch_size')).toBe(32);
      expect(one(one(config, 'dynamic_batching') as PbNode, 'max_queue_delay_microseconds')).toBe(2000);
      expect(one(msgs(config, 'instance_group')[0] as PbNode, 'kind')).toBe('KIND_CPU');
      const session = await ort.InferenceSession.create(join(out, folder, '1', 'model.onnx'));
      const inputs = msgs(config, 'input');
      expect(inputs.map((i) => one(i, 'name'))).toEqual(session.inputNames);
      for (const i of inputs) {
        expect(one(i, 'data_type')).toBe('TYPE_INT64');
        expect(i['dims']).toEqual([-1]);
      }
      expect(msgs(config, 'output').map((o) => one(o, 'data_type'))).toEqual(['TYPE_FP32']);
      await session.release();
    }
    expect(await readFile(join(out, 'README.md'), 'utf8')).toContain(`tritonserver --model-repository=DIR`);
  }, 120_000);

  it('following the ensemble steps gives the vectors /v1 returns (cosine >= 0.9999)', async () => {
    const out = join(dir, 'triton-run');
    ok<ExportResult>(await c.app.execute('exportLayout', { target: 'triton', dir: out }));
    const texts = ['hello world', 'a longer sentence about embedding models and clusters', 'x'];
    for (const [name, slot] of [['e1-alpha-v1', 'E1'], ['e2', 'E2']] as const) {
      const ensemble = parsePbtxt(await readFile(join(out, name, 'config.pbtxt'), 'utf8'));
      expect(one(ensemble, 'platform')).toBe('ensemble');
      expect(msgs(ensemble, 'input').map((i) => [one(i, 'name'), one(i, 'data_type')])).toEqual([['TEXT', 'TYPE_STRING']]);
      const steps = msgs(one(ensemble, 'ensemble_scheduling') as PbNode, 'step');
      expect(steps.map((s) => one(s, 'model_name'))).toEqual([`${name}-tokenize`, `${name}-onnx`, `${name}-pool`]);
      const tensors = new Map<string, { data: BigInt64Array | Float32Array; dims: readonly number[] }>();
      // Step 1: the tokenizer, as the Python step runs it (same tokenizer.json, same truncation).
      const [tokStep, onnxStep, poolStep] = steps as [PbNode, PbNode, PbNode];
      const tokConfig = parsePbtxt(await readFile(join(out, `${name}-tokenize`, 'config.pbtxt'), 'utf8'));
      expect(one(tokConfig, 'backend')).toBe('python');
      const tokenizer = await TextTokenizer.fromFile(join(out, `${name}-tokenize`, '1', 'tokenizer.json'));
      const batch = tokenizer.encodeBatch(texts, Number(param(tokConfig, 'max_sequence_length')));
      const produced: Record<string, BigInt64Array> = { input_ids: batch.inputIds, attention_mask: batch.attentionMask, token_type_ids: batch.tokenTypeIds };
      for (const m of msgs(tokStep, 'output_map')) tensors.set(one(m, 'value') as string, { data: produced[one(m, 'key') as string] as BigInt64Array, dims: [batch.batch, batch.length] });
      // Step 2: the ONNX model from the repository, fed by the step's input_map.
      const session = await ort.InferenceSession.create(join(out, `${name}-onnx`, '1', 'model.onnx'));
      const feeds: Record<string, ort.Tensor> = {};
      for (const m of msgs(onnxStep, 'input_map')) {
        const t = tensors.get(one(m, 'value') as string);
        if (!t) throw new Error(`no tensor ${JSON.stringify(one(m, 'value'))}`);
        feeds[one(m, 'key') as string] = new ort.Tensor('int64', t.data as BigInt64Array, [...t.dims]);
      }
      const outputs = await session.run(feeds);
      for (const m of msgs(onnxStep, 'output_map')) {
        const t = outputs[one(m, 'key') as string] as ort.Tensor;
        tensors.set(one(m, 'value') as string, { data: t.data as Float32Array, dims: t.dims });
      }
      await session.release();
      // Step 3: pooling as the pool model's config says.
      const poolConfig = parsePbtxt(await readFile(join(out, `${name}-pool`, 'config.pbtxt'), 'utf8'));
      const mode = param(poolConfig, 'pooling');
      expect(mode).toBe(slot === 'E1' ? 'pooled' : 'mean');
      const statesName = one(msgs(poolStep, 'input_map').find((m) => one(m, 'key') === 'STATES') as PbNode, 'value') as string;
      const maskName = one(msgs(poolStep, 'input_map').find((m) => one(m, 'key') === 'attention_mask') as PbNode, 'value') as string;
      const states = tensors.get(statesName) as { data: Float32Array; dims: readonly number[] };
      const mask = tensors.get(maskName)?.data as BigInt64Array;
      // /v1, as a client of Modelbay sees it.
      const res = await fetch(`${server.url}v1/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: slot, input: texts }) });
      expect(res.status, await res.clone().text()).toBe(200);
      const served = ((await res.json()) as { data: Array<{ embedding: number[] }> }).data;
      texts.forEach((_, row) => {
        const v = pool(mode, states.data, states.dims, mask, row);
        expect(cosine(v, served[row]?.embedding ?? [])).toBeGreaterThanOrEqual(0.9999);
      });
    }
  }, 120_000);

  it('kserve: the same repository plus an InferenceService with the CRD fields', async () => {
    const out = join(dir, 'kserve-repo');
    const result = ok<ExportResult>(await c.app.execute('exportLayout', { target: 'kserve', dir: out, slots: ['E1'] }));
    expect(result.models.map((m) => m.slot)).toEqual(['E1']);
    const doc = parseYaml(await readFile(join(out, 'inferenceservice.yaml'), 'utf8')) as Record<string, unknown>;
    expect(doc).toMatchObject({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'kserve-repo' },
      spec: { predictor: { model: { modelFormat: { name: 'triton' }, protocolVersion: 'v2', storageUri: 'pvc://modelbay-models/kserve-repo' } } },
    });
    expect(Object.keys((doc.spec as { predictor: object }).predictor)).toEqual(['model']);
    expect(await readFile(join(out, 'README.md'), 'utf8')).toContain('PersistentVolumeClaim `modelbay-models`');
    const s3 = ok<ExportResult>(await c.app.execute('exportLayout', { target: 'kserve', dir: join(dir, 'kserve-s3'), storageUri: 's3://bucket/models' }));
    const doc2 = parseYaml(await readFile(join(s3.dir, 'inferenceservice.yaml'), 'utf8')) as { spec: { predictor: { model: { storageUri: string } } } };
    expect(doc2.spec.predictor.model.storageUri).toBe('s3://bucket/models');
  }, 60_000);

  it('refuses a non-empty folder, a relative one, and a lockfile whose bytes the cache does not hold', async () => {
    const busy = join(dir, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'keep.txt'), 'mine');
    const reply = await c.app.execute('exportLayout', { target: 'triton', dir: busy });
    expect(reply.ok ? null : reply.error.code).toBe('EMB-E152');
    expect(await readFile(join(busy, 'keep.txt'), 'utf8')).toBe('mine');
    const rel = await c.app.execute('exportLayout', { target: 'triton', dir: 'relative/path' });
    expect(rel.ok ? null : rel.error.code).toBe('EMB-E002');
    const lock = ok<LockResult>(await c.app.execute('lockLayout', {})).lock;
    const wrong = structuredClone(lock);
    const f = wrong.slots[0]?.files[0] as { sha256: string };
    f.sha256 = '0'.repeat(64);
    const bad = await c.app.execute('exportLayout', { target: 'triton', dir: join(dir, 'never'), lock: wrong });
    expect(bad.ok ? null : bad.error.code).toBe('EMB-E108');
    const badUri = await c.app.execute('exportLayout', { target: 'kserve', dir: join(dir, 'never2'), storageUri: 'file:///etc' });
    expect(badUri.ok ? null : badUri.error.code).toBe('EMB-E002');
  }, 60_000);
});
