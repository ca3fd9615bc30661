/**
 * The serving endpoints with real clients: the official `openai` npm package against the
 * headless server over the real App, real session hosts and generated ONNX models; the
 * vectors are compared with onnxruntime run in this process on the same inputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import * as ort from 'onnxruntime-node';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EMBED_TEXTS } from '../../../src/shared/contract/api.js';
import { Embedder } from '../../../src/main/host/embedder.js';
import { TextTokenizer } from '../../../src/main/host/text-tokenizer.js';
import { startServer, type RunningServer } from '../../../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../../../src/main/server/server-token.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';
import { testLauncher } from '../runtime/test-hosts.js';
import { send } from './send-request.js';

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] ?? 0) * (b[i] ?? 0);
    aa += (a[i] ?? 0) ** 2;
    bb += (b[i] ?? 0) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

interface Sample {
  name: string;
  type: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }>;
}

describe('serving: /v1 (OpenAI), /embed_sparse, /embed_all, /metrics', () => {
  let h: Harness;
  let server: RunningServer;
  let token: string;
  let client: OpenAI;
  let inProcess: Embedder;
  let inProcessSession: ort.InferenceSession;
  let json: Record<string, string>;

  beforeAll(async () => {
    h = await harness({ ready: ['E1', 'E2', 'E3', 'E6', 'E12'], tokenLevel: ['E6', 'E12'], launcher: testLauncher() });
    await h.app.start();
    token = loadOrCreateServerToken(h.dir);
    server = await startServer({ app: h.app, serving: h.app, token, port: 0, rendererDir: null });
    client = new OpenAI({ baseURL: `${server.url}v1`, apiKey: token, maxRetries: 0 });
    json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const model = h.artifacts.model;
    inProcessSession = await ort.InferenceSession.create(model.modelPath);
    inProcess = new Embedder(inProcessSession, await TextTokenizer.fromFile(model.tokenizerPath), ort.Tensor, { pooling: 'mean', dims: model.dim, maxSequenceLength: 32, batchSize: 4 });
  }, 180_000);
  afterAll(async () => {
    await server.close();
    await inProcessSession.release();
    await h.close();
  });

  it('lists the slots that have a model, OpenAI-style with Modelbay fields', async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['E1', 'E6', 'E12']));
    const e6 = page.data.find((m) => m.id === 'E6') as unknown as Record<string, unknown>;
    expect(e6).toMatchObject({ object: 'model', slot: 'E6', name: 'Sparse', kind: 'sparse', endpoint: '/embed_sparse', dims: h.artifacts.model.dim });
    expect(page.data.find((m) => m.id === 'E12')).toMatchObject({ kind: 'multi-vector' });
    expect(page.data.find((m) => m.id === 'E1')).toMatchObject({ kind: 'dense', repo: 'test/e1', state: 'ready' });
    const one = await client.models.retrieve('Semantic');
    expect(one).toMatchObject({ id: 'E1', owned_by: 'test' });
  });

  it('embeds as float and as base64 (the client\'s default) with the in-process onnxruntime vectors and real token usage', async () => {
    const texts = ['hello world', 'the cat sat on the mat', 'a'];
    const expected = await inProcess.embed(texts);
    const asFloat = await client.embeddings.create({ model: 'E1', input: texts, encoding_format: 'float' });
    const asBase64 = await client.embeddings.create({ model: 'semantic', input: texts });
    for (const answer of [asFloat, asBase64]) {
      expect(answer.data).toHaveLength(3);
      answer.data.forEach((d, i) => {
        expect(d.index).toBe(i);
        const want = expected.data.subarray(i * expected.dims, (i + 1) * expected.dims);
        expect(cosine(d.embedding, want)).toBeGreaterThanOrEqual(0.9999);
      });
    }
    const tokens = texts.reduce((n, t) => n + h.artifacts.model.ids(t).length, 0);
    expect(asFloat.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    expect(asFloat.model).toBe('E1');
    // The canonical id, as /v1/models lists it, whatever name the request used.
    expect(asBase64.model).toBe('E1');
    // base64 on the wire is float32 little-endian, as OpenAI's clients decode it.
    const raw = await send(server.port, { method: 'POST', path: '/v1/embeddings', headers: json, body: JSON.stringify({ model: 'E1', input: 'hello world', encoding_format: 'base64' }) });
    const b64 = (JSON.parse(raw.body) as { data: Array<{ embedding: string }> }).data[0]?.embedding as string;
    const bytes = Buffer.from(b64, 'base64');
    expect(bytes.length).toBe(h.artifacts.model.dim * 4);
  });

  it('a slot with an alias is listed and served under it (the id and name still work)', async () => {
    const set = await h.app.execute('setAlias', { slot: 'E1', alias: 'minilm' });
    expect(set.ok).toBe(true);
    await expect.poll(async () => (await client.models.list()).data.map((m) => m.id)).toContain('minilm');
    const listed = (await client.models.list()).data.find((m) => m.id === 'minilm') as unknown as Record<string, unknown>;
    expect(listed).toMatchObject({ slot: 'E1' });
    const usedBefore = h.app.snapshot().usage.find((u) => u.slot === 'E1')?.texts ?? 0;
    const byAlias = await client.embeddings.create({ model: 'minilm', input: 'hello world', encoding_format: 'float' });
    // API traffic counts in the slot's health and usage like the dashboard's.
    expect(h.app.snapshot().usage.find((u) => u.slot === 'E1')?.texts).toBe(usedBefore + 1);
    expect(byAlias.data[0]?.embedding).toHaveLength(h.artifacts.model.dim);
    const byId = await client.embeddings.create({ model: 'E1', input: 'hello world', encoding_format: 'float' });
    expect(byId.data[0]?.embedding).toHaveLength(h.artifacts.model.dim);
    // Every name of the slot answers with the id the list shows: its alias.
    expect([byAlias.model, byId.model]).toEqual(['minilm', 'minilm']);
    for (const name of ['minilm', 'E1', 'semantic', 'test/e1']) {
      expect(await client.models.retrieve(name), name).toMatchObject({ id: 'minilm', slot: 'E1', object: 'model' });
    }
    expect((await h.app.execute('setAlias', { slot: 'E1', alias: null })).ok).toBe(true);
  });

  it('takes token arrays and truncates with renormalisation when dimensions is smaller; refuses more than the model has', async () => {
    const ids = h.artifacts.model.ids('hello world');
    const fromIds = await client.embeddings.create({ model: 'E1', input: [ids], encoding_format: 'float' });
    const fromText = await client.embeddings.create({ model: 'E1', input: 'hello world', encoding_format: 'float' });
    expect(cosine(fromIds.data[0]?.embedding ?? [], fromText.data[0]?.embedding ?? [])).toBeGreaterThanOrEqual(0.9999);
    const short = await client.embeddings.create({ model: 'E1', input: 'hello world', dimensions: 8, encoding_format: 'float' });
    const v = short.data[0]?.embedding ?? [];
    expect(v).toHaveLength(8);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(cosine(v, fromText.data[0]?.embedding.slice(0, 8) ?? [])).toBeGreaterThanOrEqual(0.9999);
    await expect(client.embeddings.create({ model: 'E1', input: 'x', dimensions: 4096 })).rejects.toMatchObject({ status: 400, code: 'EMB-E422' });
    await expect(client.embeddings.create({ model: 'E1', input: [[999_999]] })).rejects.toMatchObject({ status: 400, code: 'EMB-E208', param: 'input' });
  });

  it('refuses an input longer than the model takes (400 naming the limit); truncate: true cuts it and says so in usage', async () => {
    // The harness's hosts take at most 32 tokens per input.
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const full = h.artifacts.model.ids(long).length;
    expect(full).toBeGreaterThan(32);
    const refused = await client.embeddings.create({ model: 'E1', input: ['short', long], encoding_format: 'float' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, code: 'EMB-E430', param: 'input', type: 'invalid_request_error' });
    expect((refused as Error).message).toContain(`${full} tokens`);
    expect((refused as Error).message).toContain('32');
    expect((refused as Error).message).toContain('truncate');
    const overIds = await client.embeddings.create({ model: 'E1', input: [h.artifacts.model.ids(long)] }).catch((e: unknown) => e);
    expect(overIds).toMatchObject({ status: 400, code: 'EMB-E430', param: 'input' });

    const cut = await client.embeddings.create({ model: 'E1', input: ['short', long], encoding_format: 'float', truncate: true } as OpenAI.EmbeddingCreateParams);
    const shortTokens = h.artifacts.model.ids('short').length;
    expect(cut.usage).toEqual({ prompt_tokens: shortTokens + 32, total_tokens: shortTokens + 32, truncated: 1 });
    // What was embedded is the first 32 tokens (the closing special token kept), as the model's own cut gives.
    const ids = h.artifacts.model.ids(long);
    const first32 = [...ids.slice(0, 31), ids[ids.length - 1] as number];
    const fromIds = await client.embeddings.create({ model: 'E1', input: [first32], encoding_format: 'float' });
    expect(cosine(cut.data[1]?.embedding ?? [], fromIds.data[0]?.embedding ?? [])).toBeGreaterThanOrEqual(0.9999);
    const within = await client.embeddings.create({ model: 'E1', input: 'short', encoding_format: 'float', truncate: true } as OpenAI.EmbeddingCreateParams);
    expect(within.usage).toEqual({ prompt_tokens: shortTokens, total_tokens: shortTokens, truncated: 0 });

    for (const [path, model] of [['/embed_sparse', 'E6'], ['/embed_all', 'E12']] as const) {
      const over = await send(server.port, { method: 'POST', path, headers: json, body: JSON.stringify({ model, inputs: [long] }) });
      expect(over.status, path).toBe(400);
      expect(JSON.parse(over.body), path).toMatchObject({ error: { code: 'EMB-E430', param: 'inputs' } });
      const ok = await send(server.port, { method: 'POST', path, headers: json, body: JSON.stringify({ model, inputs: [long], truncate: true }) });
      expect(ok.status, path).toBe(200);
      expect(ok.headers['x-truncated-inputs'], path).toBe('1');
    }
    const tokens = JSON.parse((await send(server.port, { method: 'POST', path: '/embed_all', headers: json, body: JSON.stringify({ model: 'E12', inputs: [long], truncate: true }) })).body) as number[][][];
    expect(tokens[0]).toHaveLength(32);
  });

  it('a body the host refuses keeps its error and status, counts as an error in /metrics, and never against the slot\'s health', async () => {
    await client.embeddings.create({ model: 'E1', input: 'warm' });
    const health = (): unknown => h.app.snapshot().usage.find((u) => u.slot === 'E1');
    const errors = async (): Promise<number> => {
      const text = (await send(server.port, { path: '/metrics', headers: { authorization: `Bearer ${token}` } })).body;
      return Number(/modelbay_embed_requests_total\{slot="E1",endpoint="\/v1\/embeddings",outcome="error"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await errors();
    // The model and the field names scan fine; the body is still not JSON, which the host's parser says.
    const notJson = await send(server.port, { method: 'POST', path: '/v1/embeddings', headers: json, body: '{"model":"E1","input":tru}' });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toMatchObject({ error: { code: 'EMB-E401', type: 'invalid_request_error', message: expect.stringContaining('not valid JSON') as unknown } });
    const refused = [
      client.embeddings.create({ model: 'E1', input: [] as string[] }),
      client.embeddings.create({ model: 'E1', input: Array.from({ length: MAX_EMBED_TEXTS + 1 }, () => 'x') }),
      client.embeddings.create({ model: 'E1', input: [[999_999]] }),
      client.embeddings.create({ model: 'E1', input: 'x', dimensions: 4096 }),
    ];
    const answers = await Promise.all(refused.map((p) => p.catch((e: unknown) => e)));
    expect(answers.map((a) => [(a as { status?: number }).status, (a as { code?: string }).code])).toEqual([[400, 'EMB-E401'], [413, 'EMB-E405'], [400, 'EMB-E208'], [400, 'EMB-E422']]);
    expect(await errors()).toBe(before + 5);
    expect(health()).toMatchObject({ health: 'healthy', consecutiveFailures: 0 });
  });

  it('a refused body to a slot that is not loaded loads nothing', async () => {
    expect(h.app.snapshot().slots.find((s) => s.id === 'E3')?.state).toBe('ready');
    const bad = await send(server.port, { method: 'POST', path: '/v1/embeddings', headers: json, body: JSON.stringify({ model: 'E3', input: 'x', encoding_format: 'int8' }) });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'EMB-E401', param: 'encoding_format' } });
    const unknown = await send(server.port, { method: 'POST', path: '/v1/embeddings', headers: json, body: JSON.stringify({ model: 'nope', input: [] }) });
    // The body's own fault is named first, as before the model is looked up.
    expect(JSON.parse(unknown.body)).toMatchObject({ error: { code: 'EMB-E401', param: 'input' } });
    expect(h.app.snapshot().slots.find((s) => s.id === 'E3')).toMatchObject({ state: 'ready', loadCount: 0 });
  });

  it('100 concurrent requests to an unloaded slot cause exactly one load', async () => {
    expect(h.app.snapshot().slots.find((s) => s.id === 'E2')?.state).toBe('ready');
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => client.embeddings.create({ model: 'E2', input: `text number ${i}`, encoding_format: 'float' })));
    expect(answers.every((a) => a.data.length === 1)).toBe(true);
    const e2 = h.app.snapshot().slots.find((s) => s.id === 'E2');
    expect(e2).toMatchObject({ state: 'loaded', loadCount: 1 });
    expect(h.events.filter((e) => e.type === 'activity' && e.entry.kind === 'loaded' && e.entry.slot === 'E2')).toHaveLength(1);
  });

  it('answers errors in OpenAI\'s shape with their status', async () => {
    await expect(client.embeddings.create({ model: 'nope', input: 'x' })).rejects.toMatchObject({ status: 404, code: 'EMB-E421' });
    // A slot whose files are missing cannot serve now (503, retried by clients), until `modelbay pull`.
    await expect(client.embeddings.create({ model: 'E5', input: 'x' })).rejects.toMatchObject({ status: 503, code: 'EMB-E101' });
    const sparse = await client.embeddings.create({ model: 'E6', input: 'x' }).catch((e: unknown) => e);
    expect(sparse).toBeInstanceOf(OpenAI.BadRequestError);
    expect((sparse as InstanceType<typeof OpenAI.APIError>).code).toBe('EMB-E420');
    expect((sparse as Error).message).toContain('/embed_sparse');
    await expect(client.embeddings.create({ model: 'E12', input: 'x' })).rejects.toMatchObject({ status: 400, code: 'EMB-E420' });
    const bad = new OpenAI({ baseURL: `${server.url}v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const tooMany = Array.from({ length: MAX_EMBED_TEXTS + 1 }, () => 'x');
    await expect(client.embeddings.create({ model: 'E1', input: tooMany })).rejects.toMatchObject({ status: 413, code: 'EMB-E405' });
    const huge = await send(server.port, { method: 'POST', path: '/v1/embeddings', headers: json, body: JSON.stringify({ model: 'E1', input: 'y'.repeat(17 * 1024 * 1024) }) });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body)).toMatchObject({ error: { code: 'EMB-E405', type: 'invalid_request_error' } });
    const missing = await send(server.port, { path: '/v1/nothing', headers: json });
    expect(missing.status).toBe(404);
    const badJson = await send(server.port, { method: 'POST', path: '/v1/embeddings', headers: json, body: '{' });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body)).toMatchObject({ error: { code: 'EMB-E401' } });
  });

  it('a cookie-borne POST must be JSON from the server\'s own origin (another local port is the same site)', async () => {
    const cookie = { cookie: `modelbay_token_${server.port}=${token}` };
    const body = JSON.stringify({ model: 'E1', input: 'x' });
    const forged = await send(server.port, { method: 'POST', path: '/v1/embeddings', headers: { ...cookie, 'content-type': 'text/plain', origin: 'http://127.0.0.1:8888' }, body });
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body)).toMatchObject({ error: { code: 'EMB-E410', type: 'permission_error' } });
    const otherPort = await send(server.port, { method: 'POST', path: '/v1/embeddings', headers: { ...cookie, 'content-type': 'application/json', origin: 'http://127.0.0.1:8888' }, body });
    expect(otherPort.status).toBe(403);
    const own = await send(server.port, { method: 'POST', path: '/v1/embeddings', headers: { ...cookie, 'content-type': 'application/json', origin: `http://127.0.0.1:${server.port}` }, body });
    expect(own.status).toBe(200);
    const read = await send(server.port, { path: '/v1/models', headers: cookie });
    expect(read.status).toBe(200);
  });

  it('refuses another Host and a missing token on /v1 and /metrics', async () => {
    for (const path of ['/v1/models', '/metrics']) {
      const rebound = await send(server.port, { path, headers: { ...json, host: `evil.example:${server.port}` } });
      expect(rebound.status).toBe(403);
      expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: 'EMB-E403' } });
      const anonymous = await send(server.port, { path });
      expect(anonymous.status).toBe(401);
      expect(JSON.parse(anonymous.body)).toMatchObject({ error: { code: 'EMB-E402', type: 'authentication_error' } });
    }
  });

  it('/embed_sparse gives SPLADE weights ({index, value}, top-k) and /embed_all one vector per token', async () => {
    const tokenModel = h.artifacts.tokenModel;
    if (!tokenModel) throw new Error('no token model');
    const text = 'hello world';
    const ids = tokenModel.ids(text);
    const sparse = await send(server.port, { method: 'POST', path: '/embed_sparse', headers: json, body: JSON.stringify({ model: 'E6', inputs: [text, 'cat'] }) });
    expect(sparse.status).toBe(200);
    const weights = JSON.parse(sparse.body) as Array<Array<{ index: number; value: number }>>;
    expect(weights).toHaveLength(2);
    // The model's token states are the table rows: SPLADE = max over tokens of log(1 + relu(row)).
    const session = await ort.InferenceSession.create(tokenModel.modelPath);
    const shape = [1, ids.length];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), shape),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(ids.length), shape),
    }, ['last_hidden_state']);
    await session.release();
    const states = out.last_hidden_state?.data as Float32Array;
    const dim = tokenModel.dim;
    const want = new Map<number, number>();
    for (let j = 0; j < dim; j++) {
      let m = 0;
      for (let t = 0; t < ids.length; t++) m = Math.max(m, Math.log1p(Math.max(0, states[t * dim + j] ?? 0)));
      if (m > 0) want.set(j, m);
    }
    expect(weights[0]?.map((w) => w.index)).toEqual([...want.keys()]);
    for (const w of weights[0] ?? []) expect(w.value).toBeCloseTo(want.get(w.index) ?? -1, 5);
    const top = await send(server.port, { method: 'POST', path: '/embed_sparse', headers: json, body: JSON.stringify({ model: 'Sparse', inputs: text, top_k: 3 }) });
    const top3 = (JSON.parse(top.body) as Array<Array<{ index: number; value: number }>>)[0] ?? [];
    const best = [...want.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([i]) => i).sort((a, b) => a - b);
    expect(top3.map((w) => w.index)).toEqual(best);

    const all = await send(server.port, { method: 'POST', path: '/embed_all', headers: json, body: JSON.stringify({ model: 'E12', inputs: [text] }) });
    expect(all.status).toBe(200);
    const tokens = (JSON.parse(all.body) as number[][][])[0] ?? [];
    expect(tokens).toHaveLength(ids.length);
    for (const v of tokens) expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    const wrong = await send(server.port, { method: 'POST', path: '/embed_all', headers: json, body: JSON.stringify({ model: 'E1', inputs: 'x' }) });
    expect(wrong.status).toBe(400);
    expect((JSON.parse(wrong.body) as { error: { message: string } }).error.message).toContain('/v1/embeddings');
  });

  it('/metrics is Prometheus text that a real parser reads: slot states, requests, batches, latency, devices', async () => {
    await client.embeddings.create({ model: 'E3', input: ['one', 'two'] });
    const answer = await send(server.port, { path: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('text/plain');
    const families = parsePrometheusTextFormat(answer.body) as Sample[];
    const family = (name: string): Sample => {
      const f = families.find((x) => x.name === name);
      if (!f) throw new Error(`no ${name}`);
      return f;
    };
    const value = (name: string, labels: Record<string, string>): number => Number(family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value);
    expect(value('modelbay_slot_state', { slot: 'E3', state: 'loaded' })).toBe(1);
    expect(value('modelbay_slot_state', { slot: 'E3', state: 'ready' })).toBe(0);
    expect(value('modelbay_slot_loads_total', { slot: 'E2' })).toBe(1);
    expect(family('modelbay_slot_loads_total').type).toBe('COUNTER');
    expect(value('modelbay_slot_measured_bytes', { slot: 'E3' })).toBeGreaterThan(0);
    expect(value('modelbay_embed_requests_total', { slot: 'E2', endpoint: '/v1/embeddings', outcome: 'ok' })).toBe(100);
    expect(value('modelbay_embed_inputs_total', { slot: 'E3' })).toBe(2);
    expect(family('modelbay_embed_request_duration_seconds').type).toBe('HISTOGRAM');
    // The parser folds labelled histograms into their buckets (it keeps no labels there): check the buckets are cumulative.
    const batches = family('modelbay_embed_batch_inputs');
    expect(batches.type).toBe('HISTOGRAM');
    const buckets = Object.values(batches.metrics[0]?.buckets ?? {}).map(Number);
    expect(buckets.length).toBeGreaterThan(5);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(value('modelbay_device_budget_bytes', { device: 'cpu' })).toBeGreaterThan(0);
    expect(value('modelbay_device_allocated_bytes', { device: 'cpu' })).toBeGreaterThan(0);
    expect(value('modelbay_registry_loads_total', {})).toBeGreaterThanOrEqual(4);
    expect(value('modelbay_slot_queue_depth', { slot: 'E1' })).toBe(0);
    expect(h.app.snapshot().serving).toEqual({ queueDepth: {} });
    // The shipped Grafana dashboard queries only metrics the server exposes.
    const dashboard = readFileSync(join(import.meta.dirname, '../../../resources/grafana/modelbay-dashboard.json'), 'utf8');
    const queried = new Set([...dashboard.matchAll(/modelbay_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')));
    const exposed = new Set(families.map((f) => f.name));
    // GPU and download families have no samples without a GPU or a download; their HELP lines still name them.
    for (const name of queried) expect(exposed.has(name) || answer.body.includes(`# HELP ${name} `), name).toBe(true);
  });
});
