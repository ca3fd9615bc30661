/**
 * Download speed, memory and parallel parts against the test Hub (run in its own process).
 * Prints figures, then as its last line one JSON object:
 * {"bytes","ours_s","baseline_s","ratio","hash_only_s","limit_ratio","rss_growth_mb","parallel_speedup",
 *  "transfer_only_s","limit_ratio2","event_loop_p99_ms","event_loop_idle_p99_ms","parts_per_file","parts_chosen"}
 *  - ours_s: our download with the app's default settings (BENCH_MODE=stream: one stream; parts: 4 parts).
 *    The bytes are received, written and hashed in the download worker, off this thread.
 *  - baseline_s: curl downloading the same file, then sha256sum on it (same run).
 *  - transfer_only_s: `curl -s -o /dev/null` of the same URL (same run): the transfer alone.
 *  - limit_ratio2: ours_s / max(transfer_only_s, hash_only_s); 1.0 is the physical limit.
 *  - event_loop_p99_ms: p99 event-loop delay of this process (it plays the app's main
 *    process) during our download, from monitorEventLoopDelay; median over the runs.
 *  - event_loop_idle_p99_ms: the same measured while nothing downloads, right after each of
 *    our runs and as long: the floor this machine sets (other jobs share its cores).
 *  - parts_per_file: the most Range parts a file may get; parts_chosen: how many our
 *    downloads grew to (median over the runs; they start with one, part-count.ts).
 *  BENCH_SWEEP=1 also times 1, 2, 4 and 8 parts per file (how the default was chosen).
 *  - hash_only_s: in-process SHA-256 of the file (the floor: a download must hash every byte).
 *  - rss_growth_mb: peak RSS growth of this process during our download (the download worker
 *    already running: worker_start_s and worker_start_rss_mb are the first download's, a
 *    1 MiB file, which starts it; from sources, through tsx).
 *  - parallel_speedup: parallel Range parts vs one stream, server capped at 40 MB/s per connection;
 *    capped_parts_chosen: the parts the app's defaults grew to on that link.
 * Our figures and the baseline's are medians of alternating runs, so cache warmth and drift hit both.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Downloader, type DownloaderOptions } from '../src/main/core/artifacts/transfer/downloader.js';
import { downloaderTuning } from '../src/main/core/artifacts/manager/downloader-tuning.js';
import { defaultSettings } from '../src/shared/settings/settings.js';
import { artifactConfig } from '../src/main/core/artifacts/manager/artifact-config.js';

const ROOT = resolve(import.meta.dirname, '..');
const DIR = join(ROOT, '.bench');
const BIG = join(DIR, 'hub-1gib.bin');
const MID = join(DIR, 'hub-160mib.bin');
const SMALL = join(DIR, 'hub-1mib.bin');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const CAP = 40_000_000;
const PARTS = Number(process.env['BENCH_PARTS'] ?? 8);

async function ensureFile(path: string, size: number): Promise<void> {
  if (existsSync(path) && (await stat(path)).size === size) return;
  const fh = await open(path, 'w');
  const block = Buffer.allocUnsafe(16 * MiB);
  randomFillSync(block);
  for (let off = 0; off < size; off += block.length) {
    // A counter per block so no two blocks are equal.
    block.writeUInt32LE(off / block.length, 0);
    await fh.write(block, 0, Math.min(block.length, size - off), off);
  }
  await fh.close();
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 4 * MiB })) h.update(c as Buffer);
  return h.digest('hex');
}

async function startServer(config: unknown): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/devkit/hub/serve.ts'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const { endpoint } = JSON.parse(line) as { endpoint: string };
    return { endpoint, child };
  }
  throw new Error('server did not start');
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function ours(endpoint: string, path: string, expect: string, options: Partial<DownloaderOptions> = {}): Promise<{ s: number; rssGrowth: number; loopP99Ms: number; parts: number | null }> {
  const cacheDir = join(DIR, 'cache');
  await rm(cacheDir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  const d = new Downloader({ cacheDir, endpoint, token: null, ...options });
  global.gc?.();
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 10);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = process.hrtime.bigint();
  const f = await d.download({ repo: 'bench/model', revision: 'main', path, sha256: expect });
  const s = seconds(t0);
  loop.disable();
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  if (f.sha256 !== expect) throw new Error('wrong hash');
  await rm(cacheDir, { recursive: true, force: true });
  return { s, rssGrowth: (peak - rss0) / MiB, loopP99Ms: loop.percentile(99) / 1e6, parts: (f as { parts?: number }).parts ?? null };
}

/** The event loop's p99 delay while this process does nothing, for `ms`: the machine's floor. */
async function idleLoopP99(ms: number): Promise<number> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  await new Promise((r) => setTimeout(r, ms));
  loop.disable();
  return loop.percentile(99) / 1e6;
}

/** The transfer alone, nothing written: `curl -s -o /dev/null`. */
function transferOnly(endpoint: string, path: string): number {
  const t0 = process.hrtime.bigint();
  const c = spawnSync('curl', ['-sfL', '-o', '/dev/null', `${endpoint}/bench/model/resolve/main/${path}`]);
  if (c.status !== 0) throw new Error(`curl failed: ${c.stderr.toString()}`);
  return seconds(t0);
}

function baseline(endpoint: string, path: string, expect: string): { s: number; curl: number } {
  const out = join(DIR, 'curl.bin');
  const t0 = process.hrtime.bigint();
  const c = spawnSync('curl', ['-sSfL', '-o', out, `${endpoint}/bench/model/resolve/main/${path}`]);
  if (c.status !== 0) throw new Error(`curl failed: ${c.stderr.toString()}`);
  const curl = seconds(t0);
  const h = spawnSync('sha256sum', [out]);
  const s = seconds(t0);
  if (!h.stdout.toString().startsWith(expect)) throw new Error('curl got the wrong bytes');
  spawnSync('rm', ['-f', out]);
  return { s, curl };
}

await mkdir(DIR, { recursive: true });
console.log('preparing files in .bench/ …');
await ensureFile(BIG, GiB);
await ensureFile(MID, 160 * MiB);
await ensureFile(SMALL, MiB);

// Read once so every contender starts from a warm page cache.
let t = process.hrtime.bigint();
const bigSha = await hashFile(BIG);
const hashes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  t = process.hrtime.bigint();
  await hashFile(BIG);
  hashes.push(seconds(t));
}
const hashOnly = median(hashes);
const midSha = await hashFile(MID);
const smallSha = await hashFile(SMALL);
console.log(`hash only (1 GiB, in-process SHA-256): ${hashOnly.toFixed(3)} s`);

const server = await startServer({
  repos: [{ id: 'bench/model', commits: [{ files: [
    { path: 'big.bin', lfs: true, content: { diskPath: BIG, sha256: bigSha } },
    { path: 'mid.bin', lfs: true, content: { diskPath: MID, sha256: midSha } },
    { path: 'slow.bin', lfs: true, content: { diskPath: MID, sha256: midSha } },
    { path: 'small.bin', lfs: true, content: { diskPath: SMALL, sha256: smallSha } },
  ] }] }],
  throttle: [{ path: 'mid.bin', bytesPerSec: CAP }],
});

try {
  const oursRuns: number[] = [];
  const baseRuns: number[] = [];
  const curlRuns: number[] = [];
  const transferRuns: number[] = [];
  const loopRuns: number[] = [];
  const idleRuns: number[] = [];
  const partsRuns: number[] = [];
  let rssGrowth = 0;
  const mode = (process.env['BENCH_MODE'] ?? 'app');
  // What the app runs with by default (settings → downloader), unless a mode is forced.
  const appConfig = artifactConfig(defaultSettings(), { token: null, source: null }, {});
  const appTuning = downloaderTuning(appConfig, appConfig);
  const oursOptions: Partial<DownloaderOptions> = mode === 'stream' ? { ...appTuning, parallelParts: null }
    : mode === 'parts' ? { ...appTuning, parallelParts: { minBytes: 256 * MiB, parts: 4 } } : appTuning;
  const partsPerFile = oursOptions.parallelParts?.parts ?? 1;
  // The first download starts the download worker (the app keeps it while downloads come):
  // its cost is shown apart, so the runs below measure downloads, not the worker's start.
  const warm = await ours(server.endpoint, 'small.bin', smallSha, oursOptions);
  console.log(`first download (1 MiB) starts the download worker: ${warm.s.toFixed(3)} s, RSS +${warm.rssGrowth.toFixed(1)} MB`);
  for (let i = 0; i < RUNS; i++) {
    const b = baseline(server.endpoint, 'big.bin', bigSha);
    baseRuns.push(b.s);
    curlRuns.push(b.curl);
    const tr = transferOnly(server.endpoint, 'big.bin');
    transferRuns.push(tr);
    const o = await ours(server.endpoint, 'big.bin', bigSha, oursOptions);
    oursRuns.push(o.s);
    loopRuns.push(o.loopP99Ms);
    if (o.parts !== null) partsRuns.push(o.parts);
    const idle = await idleLoopP99(Math.round(o.s * 1000));
    idleRuns.push(idle);
    rssGrowth = Math.max(rssGrowth, o.rssGrowth);
    console.log(`run ${i + 1}: curl+sha256sum ${b.s.toFixed(3)} s (curl alone ${b.curl.toFixed(3)} s), curl -o /dev/null ${tr.toFixed(3)} s, ours (${mode}, up to ${partsPerFile} part${partsPerFile === 1 ? '' : 's'}, ran ${o.parts ?? '?'}) ${o.s.toFixed(3)} s, event loop p99 ${o.loopP99Ms.toFixed(1)} ms (idle ${idle.toFixed(1)} ms), peak RSS growth ${o.rssGrowth.toFixed(1)} MB`);
  }
  const transferOnlyS = median(transferRuns);
  const oursS = median(oursRuns);
  // The transfer alone from this server, without any hashing: a floor no client goes under here.
  console.log(`curl alone (transfer only, no hash): median ${median(curlRuns).toFixed(3)} s = ${(median(curlRuns) / hashOnly).toFixed(2)} × hash only`);
  const baseS = median(baseRuns);

  console.log(`parallel parts against ${CAP / 1e6} MB/s per connection (160 MiB) …`);
  const single = await ours(server.endpoint, 'mid.bin', midSha, { parallelParts: null });
  const parallel = await ours(server.endpoint, 'mid.bin', midSha, { parallelParts: { minBytes: MiB, parts: PARTS } });
  const speedup = single.s / parallel.s;
  // The app's defaults on the same capped link: parts grow from one while they pay.
  const grown = await ours(server.endpoint, 'mid.bin', midSha, appTuning);
  console.log(`one stream ${single.s.toFixed(2)} s (${(160 * MiB / single.s / 1e6).toFixed(1)} MB/s), ${PARTS} parts ${parallel.s.toFixed(2)} s (${(160 * MiB / parallel.s / 1e6).toFixed(1)} MB/s), app defaults ${grown.s.toFixed(2)} s with ${grown.parts ?? '?'} parts (${(160 * MiB / grown.s / 1e6).toFixed(1)} MB/s)`);

  if (process.env['BENCH_SWEEP'] === '1') {
    for (const n of [1, 2, 4, 8]) {
      const pp = n > 1 ? { minBytes: MiB, parts: n } : null;
      const capped = await ours(server.endpoint, 'mid.bin', midSha, { parallelParts: pp });
      const local = await ours(server.endpoint, 'big.bin', bigSha, { parallelParts: pp });
      console.log(`sweep ${n} part${n === 1 ? '' : 's'}: 160 MiB at ${CAP / 1e6} MB/s per connection ${capped.s.toFixed(2)} s; 1 GiB uncapped ${local.s.toFixed(2)} s, event loop p99 ${local.loopP99Ms.toFixed(1)} ms`);
    }
  }

  const result = {
    bytes: GiB,
    ours_s: Number(oursS.toFixed(3)),
    baseline_s: Number(baseS.toFixed(3)),
    ratio: Number((oursS / baseS).toFixed(3)),
    hash_only_s: Number(hashOnly.toFixed(3)),
    limit_ratio: Number((oursS / hashOnly).toFixed(3)),
    rss_growth_mb: Number(rssGrowth.toFixed(1)),
    parallel_speedup: Number(speedup.toFixed(2)),
    transfer_only_s: Number(transferOnlyS.toFixed(3)),
    limit_ratio2: Number((oursS / Math.max(transferOnlyS, hashOnly)).toFixed(3)),
    event_loop_p99_ms: Number(median(loopRuns).toFixed(1)),
    event_loop_idle_p99_ms: Number(median(idleRuns).toFixed(1)),
    parts_per_file: partsPerFile,
    parts_chosen: partsRuns.length > 0 ? median(partsRuns) : null,
    capped_parts_chosen: grown.parts,
    worker_start_s: Number(warm.s.toFixed(3)),
    worker_start_rss_mb: Number(warm.rssGrowth.toFixed(1)),
  };
  console.log(`ours ${result.ours_s} s vs curl+sha256sum ${result.baseline_s} s (ratio ${result.ratio}, goal ≤ 0.8); vs hash only ${result.limit_ratio} (goal ≤ 1.25); RSS +${result.rss_growth_mb} MB (goal ≤ 100); parallel ×${result.parallel_speedup} (goal ≥ 4); vs max(transfer, hash) ${result.limit_ratio2} (goal ≤ 1.1); event loop p99 ${result.event_loop_p99_ms} ms (goal ≤ 10; idle floor ${result.event_loop_idle_p99_ms} ms); parts chosen ${result.parts_chosen ?? '?'} of ${partsPerFile}`);
  console.log(JSON.stringify(result));
} finally {
  server.child.kill('SIGTERM');
}
