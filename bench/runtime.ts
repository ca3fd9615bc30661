/**
 * Runtime benchmark: what the session host costs compared with onnxruntime in-process.
 *
 *   create_ratio  session creation through the host (factory.create, host already running,
 *                 no warm-up) / direct InferenceSession.create of the same model
 *   embed_ratio   embeddings per second through the host / in-process, batches of 32,
 *                 same tokenizer, pooling and thread count on both sides
 *   host_memory_returned  the host process is gone after the last unload
 *   cpu_us_per_batch  CPU time per batch of the in-process pipeline, and of main and the
 *                 host through the host: steadier than the ratio on a shared machine
 *   ipc_floor_ms  one round trip of the same messages (32 texts out, 32 vectors back) to a
 *                 Node child that only echoes, over the same IPC: what any design with the
 *                 model in another process pays per call on this machine
 *   floor_ratio   the embed_ratio that floor alone would allow: in-process batch time /
 *                 (in-process batch time + ipc_floor_ms)
 *
 * Prints figures, then one JSON line (the last line). Runs the host from TypeScript
 * sources with tsx, as the tests do. `BENCH_VOCAB`, `BENCH_DIM` size the model;
 * `BENCH_PROFILE=<dir>` writes the hosts' CPU profiles there.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Embedder } from '../src/main/host/embedder.js';
import { ForkLauncher } from '../src/main/core/runtime/fork-launcher.js';
import { sessionOptions } from '../src/main/host/host-server.js';
import { HostPool } from '../src/main/core/runtime/host-pool.js';
import { OnnxSessionFactory, type SlotFiles } from '../src/main/core/runtime/session-factory.js';
import { TextTokenizer } from '../src/main/host/text-tokenizer.js';
import type { HostLoadOptions } from '../src/main/core/runtime/protocol.js';
import type { SlotId } from '../src/shared/slots/slots.js';
import { writeEmbeddingModel } from '../src/devkit/onnx/embedding-model.js';

const ROOT = join(import.meta.dirname, '..');
const DIR = join(ROOT, '.bench', 'runtime');
const VOCAB = Number(process.env.BENCH_VOCAB ?? 30_000);
const DIM = Number(process.env.BENCH_DIM ?? 384);
const BATCH = 32;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 48);
const ROUNDS = 7;
const THREADS = 1;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const signal = new AbortController().signal;

/** CPU time (user + system) of a process so far, µs, from /proc (Linux; NaN elsewhere). */
function cpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return NaN;
  }
}

/**
 * A child that answers each message with one batch's vectors and does nothing else, over
 * the IPC a session host uses (advanced serialization, messages sent as arrays): the
 * round trip is the floor under the host's per-call overhead.
 */
function echoChild(dims: number): { roundTrip(texts: string[]): Promise<void>; close(): void } {
  const code = `const v = new Float32Array(${BATCH * dims}); process.on('message', (m) => process.send([{ id: m[0].id, ok: true, value: { vectors: v, dims: ${dims}, hostMs: 0 } }]));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  let id = 0;
  return {
    roundTrip: (texts) => new Promise<void>((resolve) => {
      child.once('message', () => resolve());
      child.send([{ id: id++, kind: 'embed', slot: 'E1', texts }]);
    }),
    close: () => child.kill(),
  };
}

function corpus(n: number): string[] {
  const words = ['the', 'model', 'embedding', 'vector', 'gpu', 'memory', 'semantic', 'search', 'graph', 'code', 'token', 'cat', 'dog'];
  return Array.from({ length: n }, (_, i) => {
    const len = 8 + (i * 7) % 40;
    return Array.from({ length: len }, (_, j) => (j % 3 === 0 ? `w${(i * 31 + j * 17) % (VOCAB - 40) + 30}` : words[(i + j) % words.length])).join(' ');
  });
}

async function main(): Promise<void> {
  await rm(DIR, { recursive: true, force: true });
  await mkdir(DIR, { recursive: true });
  const model = await writeEmbeddingModel({ dir: join(DIR, 'big'), vocab: VOCAB, dim: DIM, seed: 3 });
  const keeper = await writeEmbeddingModel({ dir: join(DIR, 'keeper'), vocab: 100, dim: 8, seed: 4 });
  const bytes = model.files[0]?.bytes ?? 0;
  console.log(`model: ${VOCAB} × ${DIM} (${(bytes / 1e6).toFixed(1)} MB), batch ${BATCH}, ${BATCHES} batches, ${THREADS} intra-op thread(s)`);

  const load: HostLoadOptions = { intraOpNumThreads: THREADS, batchSize: BATCH, maxSequenceLength: 128 };
  const files = (m: typeof model): SlotFiles => ({ model: m.modelPath, externalData: [], tokenizer: m.tokenizerPath, pooling: 'mean', dims: m.dim });
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const pool = new HostPool({ launcher: new ForkLauncher({ entry: join(ROOT, 'src/main/host/main.ts'), execArgv: ['--import', 'tsx', ...profile] }) });
  const resolveFiles = (slot: SlotId): Promise<SlotFiles> => Promise.resolve(slot === 'E13' ? files(keeper) : files(model));
  const coldFactory = new OnnxSessionFactory({ pool, resolve: resolveFiles, loadOptions: load });
  const factory = new OnnxSessionFactory({ pool, resolve: resolveFiles, loadOptions: { ...load, warmup: false } });

  // The host is started once (a cold start includes Node + tsx start-up, reported apart).
  const t = performance.now();
  const keep = await coldFactory.create({ slot: 'E13', device: 'cpu', estimateBytes: 0, signal });
  console.log(`host cold start + first load: ${(performance.now() - t).toFixed(0)} ms`);
  const hostPid = keep.pid;

  const opts = sessionOptions({ provider: 'cpu', deviceId: 0, externalData: [], options: load });
  const direct: number[] = [];
  const hosted: number[] = [];
  const createDirect1 = async (): Promise<number> => {
    const t0 = performance.now();
    const s = await ort.InferenceSession.create(model.modelPath, opts);
    const ms = performance.now() - t0;
    await s.release();
    return ms;
  };
  const createHosted1 = async (): Promise<number> => {
    const t0 = performance.now();
    const h = await factory.create({ slot: 'E1', device: 'cpu', estimateBytes: 0, signal });
    const ms = performance.now() - t0;
    await h.release();
    return ms;
  };
  // The order alternates between rounds so neither side always runs on a freshly warmed cache.
  for (let r = 0; r < ROUNDS + 1; r++) {
    let d: number;
    let hd: number;
    if (r % 2 === 0) {
      d = await createDirect1();
      hd = await createHosted1();
    } else {
      hd = await createHosted1();
      d = await createDirect1();
    }
    // The first round warms the page cache for both; it is not counted.
    if (r > 0) {
      direct.push(d);
      hosted.push(hd);
    }
  }
  const createDirect = median(direct);
  const createHost = median(hosted);
  console.log(`create: direct ${createDirect.toFixed(1)} ms, through host ${createHost.toFixed(1)} ms (median of ${ROUNDS})`);

  const texts = corpus(BATCH * BATCHES);
  const batches = Array.from({ length: BATCHES }, (_, i) => texts.slice(i * BATCH, (i + 1) * BATCH));
  const tokenizer = await TextTokenizer.fromFile(model.tokenizerPath);
  const inProcess = await ort.InferenceSession.create(model.modelPath, opts);
  const embedder = new Embedder(inProcess, tokenizer, ort.Tensor, { pooling: 'mean', dims: DIM, maxSequenceLength: 128, batchSize: BATCH });
  const session = await coldFactory.create({ slot: 'E1', device: 'cpu', estimateBytes: 0, signal });
  const viaHost = { rates: [] as number[], ipcMs: [] as number[], mainCpu: [] as number[], hostCpu: [] as number[] };
  const directRates: number[] = [];
  // CPU per batch on each side of the boundary: steadier than wall-clock where a shared machine's load swings.
  const directCpu: number[] = [];
  const runDirect = async (counted: boolean): Promise<void> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (const b of batches) await embedder.embed(b);
    const c = process.cpuUsage(c0);
    if (!counted) return;
    directRates.push(texts.length / ((performance.now() - t0) / 1000));
    directCpu.push((c.user + c.system) / batches.length);
  };
  const runHosted = async (counted: boolean): Promise<void> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const h0 = cpuUs(session.pid);
    let inHost = 0;
    for (const b of batches) inHost += (await session.embed(b)).hostMs;
    const elapsed = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (!counted) return;
    viaHost.rates.push(texts.length / (elapsed / 1000));
    viaHost.ipcMs.push((elapsed - inHost) / batches.length);
    viaHost.mainCpu.push((c.user + c.system) / batches.length);
    viaHost.hostCpu.push((cpuUs(session.pid) - h0) / batches.length);
  };
  const echo = echoChild(DIM);
  const floorMs: number[] = [];
  const runFloor = async (counted: boolean): Promise<void> => {
    const t0 = performance.now();
    for (const b of batches) await echo.roundTrip(b);
    if (counted) floorMs.push((performance.now() - t0) / batches.length);
  };
  // Rounds alternate so drift in a shared machine's load hits both sides alike; round 0 warms up.
  for (let r = 0; r <= ROUNDS; r++) {
    if (r % 2 === 0) {
      await runDirect(r > 0);
      await runHosted(r > 0);
      await runFloor(r > 0);
    } else {
      await runFloor(r > 0);
      await runHosted(r > 0);
      await runDirect(r > 0);
    }
  }
  echo.close();
  // For context only (not in the JSON): with longer texts each call computes more, and
  // the fixed IPC cost of a call weighs less.
  const long = corpus(BATCH * 8).map((x) => `${x} ${x} ${x} ${x} ${x}`.split(' ').slice(0, 250).join(' '));
  const longBatches = Array.from({ length: 8 }, (_, i) => long.slice(i * BATCH, (i + 1) * BATCH));
  const longEmbedder = new Embedder(inProcess, tokenizer, ort.Tensor, { pooling: 'mean', dims: DIM, maxSequenceLength: 512, batchSize: BATCH });
  const longSession = await new OnnxSessionFactory({ pool, resolve: resolveFiles, loadOptions: { ...load, maxSequenceLength: 512 } })
    .create({ slot: 'E2', device: 'cpu', estimateBytes: 0, signal });
  const longDirect: number[] = [];
  const longHost: number[] = [];
  for (let r = 0; r <= 3; r++) {
    let t0 = performance.now();
    for (const b of longBatches) await longEmbedder.embed(b);
    const d = long.length / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (const b of longBatches) await longSession.embed(b);
    const h = long.length / ((performance.now() - t0) / 1000);
    if (r > 0) {
      longDirect.push(d);
      longHost.push(h);
    }
  }
  await longSession.release();
  console.log(`embed, ~250-token texts: direct ${median(longDirect).toFixed(0)}/s, through host ${median(longHost).toFixed(0)}/s (ratio ${(median(longHost) / median(longDirect)).toFixed(3)})`);
  await inProcess.release();
  const embedDirect = median(directRates);
  const embedHost = median(viaHost.rates);
  console.log(`embed: direct ${embedDirect.toFixed(0)}/s, through host ${embedHost.toFixed(0)}/s (median of ${ROUNDS}); IPC + main-side work ${median(viaHost.ipcMs).toFixed(2)} ms per batch`);
  const directBatchMs = (BATCH / embedDirect) * 1000;
  const ipcFloor = median(floorMs);
  const floorRatio = directBatchMs / (directBatchMs + ipcFloor);
  console.log(`IPC floor: a bare echo child's round trip ${ipcFloor.toFixed(2)} ms per batch (in-process batch ${directBatchMs.toFixed(2)} ms): embed_ratio ≤ ${floorRatio.toFixed(3)} for any host process here; the host adds ${((BATCH / embedHost) * 1000 - directBatchMs - ipcFloor).toFixed(2)} ms beyond it`);
  console.log(`CPU per batch: in-process ${median(directCpu).toFixed(0)} µs; through the host, main ${median(viaHost.mainCpu).toFixed(0)} µs + host ${median(viaHost.hostCpu).toFixed(0)} µs`);
  console.log(`measured: estimate ${(session.estimateBytes / 1e6).toFixed(1)} MB, RSS growth ${((session.measuredBytes ?? 0) / 1e6).toFixed(1)} MB`);

  await session.release();
  await keep.release();
  let gone = false;
  try {
    process.kill(hostPid, 0);
  } catch (e) {
    gone = (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const hostMemoryReturned = gone && pool.hosts().length === 0;
  await pool.shutdown();
  await rm(DIR, { recursive: true, force: true });

  const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
  console.log(JSON.stringify({
    create_ratio: round(createHost / createDirect),
    embed_ratio: round(embedHost / embedDirect),
    host_memory_returned: hostMemoryReturned,
    embed_per_s: round(embedHost, 1),
    ipc_floor_ms: round(ipcFloor),
    floor_ratio: round(floorRatio),
    cpu_us_per_batch: { in_process: round(median(directCpu), 0), main: round(median(viaHost.mainCpu), 0), host: round(median(viaHost.hostCpu), 0) },
  }));
}

await main();
