/**
 * Serving benchmark: the headless server's /v1/embeddings against the same pipeline
 * (tokenize + run + pool) in this process, for two generated models measured in one run:
 *
 *   minilm  6 encoder layers, hidden 384, 30,522-word vocabulary (~90 MB): inference-bound
 *   fast    the same vocabulary and width without encoder layers: inference costs far less
 *           than tokenization, as a small model on a GPU does — Modelbay's own path shows
 *
 * Figures (last-line JSON):
 *   served_ratio         64 clients × 16 short texts per request (base64), texts/s
 *                        / the in-process pipeline at its best batch, minilm   (goal ≥ 0.8)
 *   fast_served_ratio    the same with the fast model                           (goal ≥ 0.5)
 *   main_loop_p99_ms     main's event-loop delay p99 during the 64-client phases (goal ≤ 10)
 *   idle_loop_p99_ms     the same measured meanwhile by an idle Node process: the delay the
 *                        machine's scheduler alone adds, main's floor on this machine
 *   dashboard_p99_ms     POST /api/getSnapshot latency p99 during them           (goal ≤ 50)
 *   overhead_per_request_us, overhead_per_text_us   one client, fast model: served latency
 *                        minus in-process time, fitted over 1- and 16-text requests
 *   clients              per model: texts/s and p50/p99 latency at 1, 8 and 64 clients
 *   seq_per_s, batched_per_s, batching_speedup, http_overhead_ratio, p99_ms   (minilm, as
 *                        before: 1 text per request, 1 vs 64 clients; 32-text requests / in-process)
 *
 * Same intra-op thread count on both sides. The clients run in a child process, so their
 * own work does not count against the server's event loop. BENCH_SECONDS sets each
 * phase's length (default 10); BENCH_MODELS=fast (or minilm) runs one model;
 * BENCH_PROFILE=<dir> writes CPU profiles there: main's over the served phases
 * (main-<model>.cpuprofile, taken with the inspector, so set-up and the in-process baseline
 * stay out of it) and the session host's (host-<model>/, --cpu-prof).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
const PROFILE = process.env.BENCH_PROFILE;
const CLIENTS = 64;
const BATCH = 32;
const SHORT = 16;
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const VOCAB = 30_522;
const DIM = 384;
const MODELS = { minilm: 6, fast: 0 } as const;
type ModelName = keyof typeof MODELS;

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
  /** The load generator's own CPU time per request, µs. */
  cpuUs: number;
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
  const cpu0 = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpu0);
  await dispatcher.close();
  return { texts: done / seconds, latencies, cpuUs: (cpu.user + cpu.system) / latencies.length };
}

function loadFromChild(url: string, token: string, clients: number, size: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', import.meta.filename, '--load', url, token, String(clients), String(size), String(SECONDS)], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`load generator failed: ${stderr}`));
      else resolve(JSON.parse(stdout) as LoadResult);
    });
  });
}

/**
 * The machine's floor for event-loop delay under the phase's load: an idle Node process
 * (no work of its own) measures its loop delay like main does. On a machine with fewer
 * cores than busy processes, the scheduler delays every process's timers; main's p99
 * cannot be below what an idle process sees. Resolves with its p99 in ms once stopped.
 */
function idleLoopFloor(): { stop(): Promise<number> } {
  const code = "const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 }); h.enable(); process.stdin.resume(); process.stdin.on('end', () => { h.disable(); process.stdout.write(String(h.percentile(99) / 1e6)); });";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const done = new Promise<number>((resolve) => child.on('exit', () => resolve(Number(out))));
  return {
    stop() {
      child.stdin.end();
      return done;
    },
  };
}

interface Phase {
  perS: number;
  p50: number;
  p99: number;
  /** CPU time per request of main (this process) and of the session host, µs. */
  mainCpuUs: number;
  hostCpuUs: number;
}

/** CPU seconds (user + system) the session hosts this process started have used so far. */
function hostCpuSeconds(): number {
  const tick = 100;
  let sum = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('host/main')) continue;
      sum += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // The process ended meanwhile.
    }
  }
  return sum;
}

interface ModelFigures {
  seq: Phase;
  batched: Phase;
  short: Record<1 | 8 | 64, Phase>;
  httpBatch: number;
  mainLoopP99: number;
  /** An idle process's event-loop delay p99 during the same phases: the machine's floor. */
  idleLoopP99: number;
  dashboardP99: number;
  inProcess: { best: number; bestBatch: number; perBatch: Record<number, number>; cpuPerText: Record<number, number>; ms1: number; ms16: number };
}

async function measure(name: ModelName): Promise<ModelFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'modelbay-bench-serve-'));
  const layers = MODELS[name];
  const artifacts = await createMemoryArtifacts({ dir: join(dir, 'models'), ready: ['E8'], vocab: VOCAB, dim: DIM, layers });
  const modelBytes = artifacts.model.files.reduce((n, f) => n + f.bytes, 0);
  console.log(`── ${name}: ${layers} layers × ${DIM}, vocab ${VOCAB} (${(modelBytes / 1e6).toFixed(1)} MB); ${THREADS} intra-op thread(s); ${SECONDS} s per phase`);
  const settings = await SettingsStore.open({ dir });
  const execArgv = ['--import', 'tsx', ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE, `host-${name}`)}`] : [])];
  const app = createApp({
    mode: 'headless', version: 'bench', settings, tokens: createFileTokenStore(join(dir, 'hf-token')), artifacts,
    launcher: new ForkLauncher({ entry: join(ROOT, 'src/main/host/main.ts'), execArgv }),
    gpu: { nvidiaSmi: null }, env: { HOME: dir, HF_HOME: join(dir, 'hf') },
    hostLoadOptions: { intraOpNumThreads: THREADS, batchSize: BATCH, maxSequenceLength: 128 },
  });
  await app.start();
  const token = 'b'.repeat(43);
  const server = await startServer({ app, serving: app, token, port: 0, rendererDir: null });
  const dispatcher = new Agent({ connections: 8, pipelining: 1 });
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

  const phase = async (clients: number, size: number, label: string): Promise<Phase> => {
    const cpu0 = process.cpuUsage();
    const host0 = hostCpuSeconds();
    const r = await loadFromChild(server.url, token, clients, size);
    const cpu = process.cpuUsage(cpu0);
    const requests = r.latencies.length;
    const figures = {
      perS: r.texts, p50: percentile(r.latencies, 0.5), p99: percentile(r.latencies, 0.99),
      mainCpuUs: (cpu.user + cpu.system) / requests, hostCpuUs: ((hostCpuSeconds() - host0) * 1e6) / requests,
    };
    console.log(`${label}: ${figures.perS.toFixed(1)} texts/s (p50 ${figures.p50.toFixed(1)} ms, p99 ${figures.p99.toFixed(1)} ms); CPU per request: main ${figures.mainCpuUs.toFixed(0)} µs, host ${figures.hostCpuUs.toFixed(0)} µs, clients ${r.cpuUs.toFixed(0)} µs`);
    return figures;
  };
  /** A 64-client phase with main's event-loop delay and the dashboard's latency measured meanwhile. */
  const loaded = async (size: number, label: string): Promise<{ phase: Phase; loop: number; floor: number; dash: number }> => {
    const dash: number[] = [];
    let running = true;
    const dashboard = (async () => {
      while (running) {
        const t0 = performance.now();
        await post('/api/getSnapshot', {});
        dash.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    const idle = idleLoopFloor();
    loop.enable();
    const p = await phase(CLIENTS, size, label);
    loop.disable();
    const floor = await idle.stop();
    running = false;
    await dashboard;
    const figures = { phase: p, loop: loop.percentile(99) / 1e6, floor, dash: percentile(dash, 0.99) };
    console.log(`  main event-loop delay p99 ${figures.loop.toFixed(1)} ms (an idle process meanwhile: ${floor.toFixed(1)} ms); dashboard p99 ${figures.dash.toFixed(1)} ms over ${dash.length} calls`);
    return figures;
  };

  const profiler = PROFILE ? await startProfile() : null;
  const seq = await phase(1, 1, '1 client, 1 text per request');
  const batched = await loaded(1, `${CLIENTS} clients, 1 text per request`);
  const c1 = await phase(1, SHORT, `1 client, ${SHORT} texts per request`);
  const c8 = await phase(8, SHORT, `8 clients, ${SHORT} texts per request`);
  const c64 = await loaded(SHORT, `${CLIENTS} clients, ${SHORT} texts per request`);
  const httpBatch = await phase(1, BATCH, `1 client, ${BATCH} texts per request`);
  if (profiler && PROFILE) await profiler.stop(join(PROFILE, `main-${name}.cpuprofile`));
  await app.shutdown();
  await server.close();
  await dispatcher.close();

  // The same model, tokenizer, pooling and threads in this process.
  const session = await ort.InferenceSession.create(artifacts.model.modelPath, { intraOpNumThreads: THREADS, graphOptimizationLevel: 'all' });
  const tokenizer = await TextTokenizer.fromFile(artifacts.model.tokenizerPath);
  const embedderFor = (batchSize: number): Embedder => new Embedder(session, tokenizer, ort.Tensor, { pooling: 'mean', dims: DIM, maxSequenceLength: 128, batchSize });
  await embedderFor(BATCH).embed(texts.slice(0, BATCH));
  const perBatch: Record<number, number> = {};
  const cpuPerText: Record<number, number> = {};
  for (const b of [8, 16, 32, 64, 128]) {
    const embedder = embedderFor(b);
    const end = performance.now() + (SECONDS * 1000) / 4;
    let n = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    while (performance.now() < end) {
      await embedder.embed(Array.from({ length: b }, text));
      n += b;
    }
    const cpu = process.cpuUsage(cpu0);
    perBatch[b] = n / ((performance.now() - t0) / 1000);
    cpuPerText[b] = (cpu.user + cpu.system) / n;
  }
  const [bestBatch, best] = Object.entries(perBatch).reduce((a, b) => (b[1] > a[1] ? b : a));
  const timed = async (size: number): Promise<number> => {
    const embedder = embedderFor(BATCH);
    const ms: number[] = [];
    const end = performance.now() + (SECONDS * 1000) / 4;
    while (performance.now() < end) {
      const batch = Array.from({ length: size }, text);
      const t0 = performance.now();
      await embedder.embed(batch);
      ms.push(performance.now() - t0);
    }
    return percentile(ms, 0.5);
  };
  const ms1 = await timed(1);
  const ms16 = await timed(SHORT);
  await session.release();
  console.log(`in-process: ${Object.entries(perBatch).map(([b, r]) => `batch ${b} ${r.toFixed(0)}/s (${(cpuPerText[Number(b)] ?? 0).toFixed(1)} µs CPU/text)`).join(', ')}; one text ${ms1.toFixed(3)} ms, ${SHORT} texts ${ms16.toFixed(3)} ms per call`);
  await rm(dir, { recursive: true, force: true });
  return {
    seq, batched: batched.phase, short: { 1: c1, 8: c8, 64: c64.phase }, httpBatch: httpBatch.perS,
    mainLoopP99: Math.max(batched.loop, c64.loop), idleLoopP99: Math.max(batched.floor, c64.floor), dashboardP99: Math.max(batched.dash, c64.dash),
    inProcess: { best, bestBatch: Number(bestBatch), perBatch, cpuPerText, ms1, ms16 },
  };
}

/** Main's CPU profile through the inspector (what `--cpu-prof` writes), over the served phases only. */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, JSON.stringify(profile));
      console.log(`main's CPU profile: ${file}`);
    },
  };
}

async function main(): Promise<void> {
  const wanted = (process.env.BENCH_MODELS ?? 'minilm,fast').split(',').filter((m): m is ModelName => m in MODELS);
  const figures: Partial<Record<ModelName, ModelFigures>> = {};
  for (const m of wanted) figures[m] = await measure(m);
  const out: Record<string, unknown> = {};
  const clients = (f: ModelFigures): unknown => Object.fromEntries(([1, 8, 64] as const).map((c) => [c, { per_s: round(f.short[c].perS, 1), p50_ms: round(f.short[c].p50, 1), p99_ms: round(f.short[c].p99, 1) }]));
  const { minilm, fast } = figures;
  if (minilm) {
    Object.assign(out, {
      served_ratio: round(minilm.short[64].perS / minilm.inProcess.best, 3),
      seq_per_s: round(minilm.seq.perS, 1),
      batched_per_s: round(minilm.batched.perS, 1),
      batching_speedup: round(minilm.batched.perS / minilm.seq.perS),
      http_overhead_ratio: round(minilm.httpBatch / minilm.inProcess.perBatch[BATCH]!, 3),
      p99_ms: round(minilm.batched.p99, 1),
    });
  }
  if (fast) {
    // L(n) - P(n) = per request + n × per text, from 1- and 16-text requests at one client.
    const o1 = fast.seq.p50 - fast.inProcess.ms1;
    const o16 = fast.short[1].p50 - fast.inProcess.ms16;
    const perText = (o16 - o1) / (SHORT - 1);
    Object.assign(out, {
      fast_served_ratio: round(fast.short[64].perS / fast.inProcess.best, 3),
      overhead_per_request_us: round((o1 - perText) * 1000, 0),
      overhead_per_text_us: round(perText * 1000, 0),
    });
  }
  const all = Object.values(figures);
  Object.assign(out, {
    main_loop_p99_ms: round(Math.max(...all.map((f) => f.mainLoopP99)), 1),
    idle_loop_p99_ms: round(Math.max(...all.map((f) => f.idleLoopP99)), 1),
    dashboard_p99_ms: round(Math.max(...all.map((f) => f.dashboardP99)), 1),
    clients: Object.fromEntries(Object.entries(figures).map(([m, f]) => [m, clients(f)])),
    in_process_per_s: Object.fromEntries(Object.entries(figures).map(([m, f]) => [m, { best: round(f.inProcess.best, 1), batch: f.inProcess.bestBatch }])),
    // CPU time, robust on a shared machine: main's per request and the host's per text in the
    // 64 × 16 phase, beside the in-process pipeline's per text at batch 16.
    cpu_us: Object.fromEntries(Object.entries(figures).map(([m, f]) => [m, {
      main_per_request: round(f.short[64].mainCpuUs, 0),
      host_per_text: round(f.short[64].hostCpuUs / SHORT, 1),
      in_process_per_text: round(f.inProcess.cpuPerText[SHORT] ?? NaN, 1),
    }])),
  });
  console.log(JSON.stringify(out));
}

const loadArgs = process.argv.indexOf('--load');
const run = loadArgs >= 0
  ? (async (): Promise<void> => {
    const [url, token, clients, size, seconds] = process.argv.slice(loadArgs + 1);
    const json = JSON.stringify(await generateLoad(url ?? '', token ?? '', Number(clients), Number(size), Number(seconds)));
    // process.exit right after a large write to a pipe cuts it: wait until it is flushed.
    await new Promise<void>((resolve) => process.stdout.write(json, () => resolve()));
  })()
  : main();
run.then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
