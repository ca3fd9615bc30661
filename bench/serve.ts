/**
 * Serving benchmark: the headless server's /v1/embeddings with a MiniLM-sized generated
 * model (6 encoder layers, hidden 384, 30,522-word vocabulary, ~90 MB).
 *
 *   seq_per_s            one client, one text per request, one request at a time
 *   batched_per_s        64 concurrent clients, one text per request (dynamic batching)
 *   batching_speedup     batched_per_s / seq_per_s                     (goal ≥ 4)
 *   http_overhead_ratio  texts/s over HTTP + host in requests of 32 texts
 *                        / texts/s of onnxruntime in this process, batches of 32 (goal ≥ 0.8)
 *   p99_ms               request latency p99 under the 64-client load
 *   dashboard_p99_ms     POST /api/getSnapshot latency p99 during that load (goal ≤ 50)
 *
 * Same thread count on both sides. The clients run in a child process, so their own work
 * does not count against the server's event loop. Prints figures, then one JSON line (the
 * last line). BENCH_SECONDS sets each phase's length (default 10).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Agent, request } from 'undici';
import { createApp } from '../src/main/app/app.js';
import { ForkLauncher } from '../src/main/core/runtime/fork-launcher.js';
import { SettingsStore } from '../src/main/core/state/settings-store.js';
import { createFileTokenStore } from '../src/main/core/state/token-store.js';
import { Embedder } from '../src/main/host/embedder.js';
import { TextTokenizer } from '../src/main/host/text-tokenizer.js';
import { startServer } from '../src/main/server/http-server.js';
import { createMemoryArtifacts } from '../src/devkit/artifacts/memory-artifacts.js';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = 64;
const BATCH = 32;
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const VOCAB = 30_522;
const DIM = 384;
const LAYERS = 6;

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
};
const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

function corpus(n: number): string[] {
  const words = ['the', 'model', 'embedding', 'vector', 'gpu', 'memory', 'semantic', 'search', 'graph', 'code', 'token', 'cat', 'dog', 'researcher', 'notebook'];
  return Array.from({ length: n }, (_, i) => {
    const len = 8 + (i * 7) % 16;
    return Array.from({ length: len }, (_, j) => words[(i * 3 + j * 5) % words.length]).join(' ');
  });
}

interface LoadResult {
  texts: number;
  latencies: number[];
}

/** The load generator (child process): `clients` loops posting `size` texts each until the time is up. */
async function generateLoad(url: string, token: string, clients: number, size: number, seconds: number): Promise<LoadResult> {
  const dispatcher = new Agent({ connections: clients + 2, pipelining: 1 });
  const texts = corpus(4096);
  let next = Math.floor(Math.random() * texts.length);
  const text = (): string => texts[next++ % texts.length] as string;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const end = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let done = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const input = size === 1 ? text() : Array.from({ length: size }, text);
      const t0 = performance.now();
      const res = await request(`${url}v1/embeddings`, { method: 'POST', headers, body: JSON.stringify({ model: 'E8', input, encoding_format: 'base64' }), dispatcher });
      const body = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${body.slice(0, 200)}`);
      latencies.push(performance.now() - t0);
      done += size;
    }
  }));
  await dispatcher.close();
  return { texts: done / seconds, latencies };
}

function loadFromChild(url: string, token: string, clients: number, size: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', import.meta.filename, '--load', url, token, String(clients), String(size), String(SECONDS)], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`load generator failed: ${stderr}`));
      else resolve(JSON.parse(stdout) as LoadResult);
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modelbay-bench-serve-'));
  const artifacts = await createMemoryArtifacts({ dir: join(dir, 'models'), ready: ['E8'], vocab: VOCAB, dim: DIM, layers: LAYERS });
  const modelBytes = artifacts.model.files.reduce((n, f) => n + f.bytes, 0);
  console.log(`model: ${LAYERS} layers × ${DIM}, vocab ${VOCAB} (${(modelBytes / 1e6).toFixed(1)} MB); ${THREADS} intra-op thread(s); ${SECONDS} s per phase`);
  const settings = await SettingsStore.open({ dir });
  const app = createApp({
    mode: 'headless', version: 'bench', settings, tokens: createFileTokenStore(join(dir, 'hf-token')), artifacts,
    launcher: new ForkLauncher({ entry: join(ROOT, 'src/main/host/main.ts'), execArgv: ['--import', 'tsx'] }),
    gpu: { nvidiaSmi: null }, env: { HOME: dir, HF_HOME: join(dir, 'hf') },
    hostLoadOptions: { intraOpNumThreads: THREADS, batchSize: BATCH, maxSequenceLength: 128 },
  });
  await app.start();
  const token = 'b'.repeat(43);
  const server = await startServer({ app, serving: app, token, port: 0, rendererDir: null });
  const dispatcher = new Agent({ connections: CLIENTS + 8, pipelining: 1 });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', host: `127.0.0.1:${server.port}` };
  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await request(`${server.url}${path.slice(1)}`, { method: 'POST', headers, body: JSON.stringify(body), dispatcher });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`);
  };
  const texts = corpus(4096);
  let next = 0;
  const text = (): string => texts[next++ % texts.length] as string;

  // Load + warm up outside the measurements.
  await post('/v1/embeddings', { model: 'E8', input: texts.slice(0, BATCH) });

  const runFor = async (clients: number, size: number, latencies: number[]): Promise<number> => {
    const r = await loadFromChild(server.url, token, clients, size);
    latencies.push(...r.latencies);
    return r.texts;
  };

  const idle: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await post('/api/getSnapshot', {});
    idle.push(performance.now() - t0);
  }
  console.log(`dashboard API idle: p50 ${percentile(idle, 0.5).toFixed(1)} ms, p99 ${percentile(idle, 0.99).toFixed(1)} ms`);

  const seqLat: number[] = [];
  const seq = await runFor(1, 1, seqLat);
  console.log(`sequential: ${seq.toFixed(1)} texts/s (p50 ${percentile(seqLat, 0.5).toFixed(1)} ms)`);

  const lat: number[] = [];
  const dash: number[] = [];
  let loading = true;
  const dashboard = (async () => {
    while (loading) {
      const t0 = performance.now();
      await post('/api/getSnapshot', {});
      dash.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const batched = await runFor(CLIENTS, 1, lat);
  loading = false;
  await dashboard;
  console.log(`${CLIENTS} clients: ${batched.toFixed(1)} texts/s (p50 ${percentile(lat, 0.5).toFixed(1)} ms, p99 ${percentile(lat, 0.99).toFixed(1)} ms); dashboard p99 ${percentile(dash, 0.99).toFixed(1)} ms over ${dash.length} calls`);

  const httpBatch = await runFor(1, BATCH, []);
  await app.shutdown();
  await server.close();
  await dispatcher.close();

  // The same model, tokenizer, pooling and threads in this process.
  const session = await ort.InferenceSession.create(artifacts.model.modelPath, { intraOpNumThreads: THREADS, graphOptimizationLevel: 'all' });
  const embedder = new Embedder(session, await TextTokenizer.fromFile(artifacts.model.tokenizerPath), ort.Tensor, { pooling: 'mean', dims: DIM, maxSequenceLength: 128, batchSize: BATCH });
  await embedder.embed(texts.slice(0, BATCH));
  const end = performance.now() + SECONDS * 1000;
  let inProcessTexts = 0;
  while (performance.now() < end) {
    await embedder.embed(Array.from({ length: BATCH }, text));
    inProcessTexts += BATCH;
  }
  const inProcess = inProcessTexts / SECONDS;
  // One text per run in-process: with batch 32 this bounds what batching can gain on this device.
  const singleEnd = performance.now() + (SECONDS * 1000) / 2;
  let single = 0;
  while (performance.now() < singleEnd) {
    await embedder.embed([text()]);
    single++;
  }
  await session.release();
  console.log(`batch ${BATCH}: HTTP + host ${httpBatch.toFixed(1)} texts/s, in-process onnxruntime ${inProcess.toFixed(1)} texts/s; one text per run in-process ${(single / (SECONDS / 2)).toFixed(1)} texts/s (batching ceiling ×${(inProcess / (single / (SECONDS / 2))).toFixed(2)})`);
  await rm(dir, { recursive: true, force: true });

  console.log(JSON.stringify({
    seq_per_s: round(seq, 1),
    batched_per_s: round(batched, 1),
    batching_speedup: round(batched / seq),
    http_overhead_ratio: round(httpBatch / inProcess, 3),
    p99_ms: round(percentile(lat, 0.99), 1),
    dashboard_p99_ms: round(percentile(dash, 0.99), 1),
  }));
}

const loadArgs = process.argv.indexOf('--load');
const run = loadArgs >= 0
  ? (async (): Promise<void> => {
    const [url, token, clients, size, seconds] = process.argv.slice(loadArgs + 1);
    process.stdout.write(JSON.stringify(await generateLoad(url ?? '', token ?? '', Number(clients), Number(size), Number(seconds))));
  })()
  : main();
run.then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
