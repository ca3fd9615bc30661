/**
 * Readiness of the 13 slots at start-up (goal < 100 ms) on a cache laid out like
 * huggingface_hub's, with multi-GB sparse models (so any hashing would show at once)
 * and a few hundred unrelated repositories around them.
 * Prints figures, then one JSON line: {"cold_ms","p50_ms","p99_ms","runs"}.
 */
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifactManager } from '../src/main/core/artifacts/manager/artifact-manager.js';
import { GiB } from '../src/shared/values/bytes.js';
import { SLOT_IDS, type SlotId } from '../src/shared/slots/slots.js';
import type { DownloaderPort } from '../src/main/core/artifacts/transfer/downloader.js';
import { writeCachedFile } from '../src/devkit/artifacts/hf-cache-writer.js';
import { writeCatalog, type TestSlot } from '../src/devkit/artifacts/test-catalog.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 50);
const commit = 'a'.repeat(40);

const dir = await mkdtemp(join(tmpdir(), 'mb-bench-readiness-'));
try {
  const cache = join(dir, 'hub');
  await mkdir(cache, { recursive: true });
  const slots: Partial<Record<SlotId, TestSlot>> = {};
  for (const [i, slot] of SLOT_IDS.entries()) {
    const repo = `bench/model-${i}`;
    slots[slot] = { repo, revision: 'main', files: [
      { path: 'onnx/model.onnx', role: 'model', size: 2 * GiB },
      { path: 'onnx/model.onnx_data', role: 'external-data' },
      { path: 'tokenizer.json', role: 'tokenizer' },
      { path: 'config.json', role: 'config' },
    ] };
    const f = await writeCachedFile(cache, repo, commit, 'onnx/model.onnx', new Uint8Array([i]), { revision: 'main' });
    const fh = await open(f.blobPath, 'r+');
    await fh.truncate(2 * GiB);
    await fh.close();
    await writeCachedFile(cache, repo, commit, 'onnx/model.onnx_data', new Uint8Array([i, 1]));
    await writeCachedFile(cache, repo, commit, 'tokenizer.json', new TextEncoder().encode(`{"i":${i}}`), { etag: 'git' });
    await writeCachedFile(cache, repo, commit, 'config.json', new TextEncoder().encode(`{"c":${i}}`), { etag: 'git' });
  }
  for (let i = 0; i < 300; i++) await writeCachedFile(cache, `other/repo-${i}`, commit, 'model.safetensors', new Uint8Array([i % 256, 7]), { revision: 'main' });
  const catalogPath = await writeCatalog(dir, slots);
  const unused: DownloaderPort = {
    configure: () => undefined,
    download: () => Promise.reject(new Error('the benchmark downloads nothing')),
    discardPartial: () => Promise.resolve(),
  };
  const t0 = performance.now();
  const manager = await createArtifactManager({
    config: { cacheDir: cache, cacheLimitBytes: null, endpoint: 'http://127.0.0.1:9', token: null, offline: true, downloadConcurrency: 1 },
    stateDir: join(dir, 'state'), catalogPath, downloader: unused,
  });
  const cold = performance.now() - t0;
  const times: number[] = [];
  let ready = 0;
  for (let r = 0; r < RUNS; r++) {
    const report = await manager.readiness();
    times.push(report.computeMs);
    ready = report.ready;
  }
  await manager.close();
  times.sort((a, b) => a - b);
  const p = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  console.log(`13 slots × 4 files, 26 GiB of sparse models, 300 other repos; ${ready}/13 ready`);
  console.log(`start-up (catalog + records + readiness): ${cold.toFixed(1)} ms`);
  console.log(`readiness over ${RUNS} runs: p50 ${p(0.5).toFixed(2)} ms, p99 ${p(0.99).toFixed(2)} ms (goal < 100 ms)`);
  console.log(JSON.stringify({ cold_ms: Number(cold.toFixed(2)), p50_ms: Number(p(0.5).toFixed(3)), p99_ms: Number(p(0.99).toFixed(3)), runs: RUNS }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
