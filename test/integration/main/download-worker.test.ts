/**
 * The whole app downloading through the download worker (the byte path off main's thread):
 * progress events, pause and resume from the kept bytes, the published blob's hash, and the
 * token only ever sent to the Hub. And a worker that dies, or cannot start, fails the
 * download with EMB-E124 while main goes on answering.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, CommandReply } from '../../../src/shared/contract/api.js';
import type { SlotDownloadProgress } from '../../../src/shared/artifacts/artifacts.js';
import type { ByteWorkerEntry } from '../../../src/main/core/artifacts/transfer/byte-thread.js';
import { composeApp, type Composition } from '../../../src/main/startup/compose.js';
import { startHubServer, type HubServer } from '../../../src/devkit/hub/hub-server.js';
import { writeEmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { writeCatalog } from '../../../src/devkit/artifacts/test-catalog.js';
import { testLauncher } from '../runtime/test-hosts.js';

const REPO = 'org/worker-model';
const TOKEN = 'hf_worker_test_token';
const CRASHING: ByteWorkerEntry = { path: join(import.meta.dirname, '../../fixtures/workers/crashing-byte-worker.ts'), tsx: true };
const MISSING: ByteWorkerEntry = { path: join(import.meta.dirname, 'no-such-download-worker.js'), tsx: false };

function ok<T>(reply: CommandReply): T {
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('downloads run in the download worker', () => {
  let dir: string;
  let hub: HubServer;
  let catalogPath: string;
  let weights: Buffer;
  const open: Composition[] = [];

  const compose = async (name: string, downloadWorker?: ByteWorkerEntry): Promise<{ c: Composition; progress: SlotDownloadProgress[] }> => {
    const c = await composeApp({
      mode: 'headless', dataDir: join(dir, name), catalogPath, launcher: testLauncher(),
      ...(downloadWorker ? { downloadWorker } : {}),
      env: { HOME: dir, HF_HUB_CACHE: join(dir, name, 'hub'), HF_ENDPOINT: hub.endpoint, HF_TOKEN: TOKEN },
      app: { gpu: { nvidiaSmi: null }, totalMemoryBytes: 16 * 1024 ** 3 },
      logDir: null,
    });
    open.push(c);
    const progress: SlotDownloadProgress[] = [];
    c.app.subscribe((e: AppEvent) => { if (e.type === 'download' && e.progress.slot === 'E1') progress.push(e.progress); });
    await c.app.start();
    return { c, progress };
  };
  const until = async (what: string, cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 1200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
    if (!cond()) throw new Error(`timed out waiting for ${what}`);
  };
  const blobsDir = (name: string): string => join(dir, name, 'hub', 'models--org--worker-model', 'blobs');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-dl-worker-'));
    const model = await writeEmbeddingModel({ dir: join(dir, 'gen'), vocab: 2000, dim: 32, seed: 3 });
    weights = await readFile(model.modelPath);
    hub = await startHubServer({
      repos: [{ id: REPO, commits: [{ files: [
        { path: 'model.onnx', content: weights, lfs: true },
        { path: 'tokenizer.json', content: await readFile(model.tokenizerPath), lfs: false },
      ] }] }],
      tokens: { [TOKEN]: {} },
    });
    catalogPath = await writeCatalog(dir, { E1: { repo: REPO, revision: 'main', dims: 32, files: [{ path: 'model.onnx', role: 'model' }, { path: 'tokenizer.json', role: 'tokenizer' }] } });
  });
  afterAll(async () => {
    for (const c of open) await c.app.shutdown();
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows progress, pauses keeping its bytes, resumes from them and publishes the verified blob; no token to the CDN', async () => {
    const { c, progress } = await compose('ok');
    // Slow enough to be seen moving and paused.
    hub.addFault({ origin: 'cdn', method: 'GET', times: Infinity, action: { kind: 'throttle', bytesPerSec: 20_000 } });
    const first = c.app.execute('download', { slot: 'E1' });
    await until('bytes of the model', () => progress.some((p) => p.files.some((f) => f.file === 'model.onnx' && f.phase === 'downloading' && f.bytes > 0)));
    ok(await c.app.execute('pauseDownload', { slot: 'E1' }));
    await until('the pause', () => progress.at(-1)?.phase === 'paused');
    expect(ok<SlotDownloadProgress>(await first).phase).toBe('paused');
    const partial = join(blobsDir('ok'), `${sha256(weights)}.modelbay.incomplete`);
    await until('the partial file', () => existsSync(partial));
    const kept = (await readFile(partial)).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(weights.length);

    hub.clearFaults();
    hub.clearLog();
    ok(await c.app.execute('resumeDownload', { slot: 'E1' }));
    await until('the download to finish', () => progress.at(-1)?.phase === 'done');
    // Resumed from the kept bytes, not from zero.
    const gets = hub.log.filter((r) => r.origin === 'cdn' && r.method === 'GET');
    expect(gets.map((r) => r.range)).toEqual([`bytes=${kept}-`]);

    const model = progress.flatMap((p) => p.files).filter((f) => f.file === 'model.onnx');
    const phases = model.map((f) => f.phase).filter((x, i, a) => a[i - 1] !== x);
    expect(phases).toContain('downloading');
    expect(phases.indexOf('paused')).toBeGreaterThan(phases.indexOf('downloading'));
    expect(phases.at(-1)).toBe('done');
    // Before the pause, bytes only grew, and all of them were kept; at the end, the file's size.
    const paused = model.findIndex((f) => f.phase === 'paused');
    const before = model.slice(0, paused).filter((f) => f.phase === 'downloading').map((f) => f.bytes);
    expect(before.some((n) => n > 0)).toBe(true);
    for (let i = 1; i < before.length; i++) expect(before[i]).toBeGreaterThanOrEqual(before[i - 1] ?? 0);
    expect(Math.max(...before)).toBeLessThanOrEqual(kept);
    expect(model.at(-1)).toMatchObject({ phase: 'done', bytes: weights.length, total: weights.length });

    // The published blob holds exactly the Hub's bytes; nothing is left beside it.
    expect(sha256(await readFile(join(blobsDir('ok'), sha256(weights))))).toBe(sha256(weights));
    expect(existsSync(partial)).toBe(false);
    expect(c.app.snapshot().slots.find((s) => s.id === 'E1')?.state).toBe('ready');
    // The worker's requests: the token went to the Hub, never to the CDN.
    expect(hub.cdnAuthorizations.length).toBeGreaterThan(0);
    expect(hub.cdnAuthorizations.every((a) => a === null)).toBe(true);
    expect(hub.log.filter((r) => r.origin === 'hub').every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('a worker that dies mid-download fails it with EMB-E124; main answers on, and the next download starts a new worker', async () => {
    const { c, progress } = await compose('crash', CRASHING);
    const reply = await c.app.execute('download', { slot: 'E1' });
    expect(reply.ok ? null : reply.error).toMatchObject({ code: 'EMB-E124', details: { started: true } });
    expect(progress.at(-1)?.phase).toBe('failed');
    expect(progress.at(-1)?.error?.code).toBe('EMB-E124');
    // Main is alive: commands answer, nothing was published, and a second try meets a fresh worker (which dies again).
    expect(c.app.snapshot().slots.find((s) => s.id === 'E1')?.state).not.toBe('ready');
    expect((await c.app.execute('refreshReadiness', {})).ok).toBe(true);
    const again = await c.app.execute('download', { slot: 'E1' });
    expect(again.ok ? null : again.error).toMatchObject({ code: 'EMB-E124', details: { started: true } });
    expect(existsSync(join(blobsDir('crash'), sha256(weights)))).toBe(false);
  });

  it('a worker that cannot start fails the download with EMB-E124 saying so; main answers on', async () => {
    const { c } = await compose('missing', MISSING);
    const reply = await c.app.execute('download', { slot: 'E1' });
    expect(reply.ok ? null : reply.error).toMatchObject({ code: 'EMB-E124', details: { started: false } });
    expect(reply.ok ? '' : reply.error.message).toMatch(/could not start/);
    expect((await c.app.execute('refreshReadiness', {})).ok).toBe(true);
  });
});
