/**
 * The On-disk scan over a large cache laid out like huggingface_hub's: 300 repositories,
 * each with two revisions (one sharing the tokenizer blob), onnx/ sub-folders, multi-GB
 * sparse blobs (any read of model bytes would show at once), plus a few foreign oddities.
 * It runs in the background, so there is no hard goal; it should stay well under a second.
 * Prints figures, then one JSON line: {"repos","models","cold_ms","p50_ms","p99_ms","runs"}.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanHubCache } from '../src/main/core/artifacts/cache/cache-scan.js';
import { GiB } from '../src/shared/values/bytes.js';
import { writeCachedFile } from '../src/devkit/artifacts/hf-cache-writer.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 20);
const REPOS = Number(process.env['BENCH_REPOS'] ?? 300);
const c1 = 'a'.repeat(40);
const c2 = 'b'.repeat(40);

const dir = await mkdtemp(join(tmpdir(), 'mb-bench-scan-'));
try {
  const enc = new TextEncoder();
  for (let i = 0; i < REPOS; i++) {
    const repo = `bench/model-${i}`;
    const f = await writeCachedFile(dir, repo, c1, 'onnx/model.onnx', new Uint8Array([i % 256, 1]), { revision: 'main' });
    const fh = await open(f.blobPath, 'r+');
    await fh.truncate(GiB + i);
    await fh.close();
    await writeCachedFile(dir, repo, c1, 'tokenizer.json', enc.encode(`{"t":${i}}`), { etag: 'git' });
    await writeCachedFile(dir, repo, c1, 'config.json', enc.encode(`{"c":${i}}`), { etag: 'git' });
    await writeCachedFile(dir, repo, c2, 'onnx/model.onnx', new Uint8Array([i % 256, 2]), { revision: 'v1' });
    await writeCachedFile(dir, repo, c2, 'tokenizer.json', enc.encode(`{"t":${i}}`), { etag: 'git' });
  }
  const started = performance.now();
  const first = await scanHubCache(dir);
  const cold = performance.now() - started;
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    await scanHubCache(dir);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] ?? NaN;
  console.log(`${first.repos.length} repositories, ${first.models.length} models, ${(first.totalBytes / GiB).toFixed(0)} GiB on disk, ${first.warnings.length} warnings`);
  console.log(`cold ${cold.toFixed(1)} ms · p50 ${at(0.5).toFixed(1)} ms · p99 ${at(0.99).toFixed(1)} ms over ${RUNS} runs`);
  console.log(JSON.stringify({ repos: first.repos.length, models: first.models.length, cold_ms: +cold.toFixed(1), p50_ms: +at(0.5).toFixed(1), p99_ms: +at(0.99).toFixed(1), runs: RUNS }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
