/**
 * An update's download is a download like any other: it goes through the artifact
 * manager's queue, so the event stream carries its progress labelled as the update
 * (from → to), and pause, resume and cancel work on it. A cancelled update leaves the slot
 * on its old commit, loaded as it was; a paused one finishes after resume and switches.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, CommandReply, EmbedResult } from '../../../src/shared/contract/api.js';
import type { SlotDownloadProgress } from '../../../src/shared/artifacts/artifacts.js';
import type { UpdateResult } from '../../../src/shared/artifacts/updates.js';
import { composeApp, type Composition } from '../../../src/main/startup/compose.js';
import { startHubServer, type HubServer } from '../../../src/devkit/hub/hub-server.js';
import { commitSha } from '../../../src/devkit/hub/repos.js';
import { writeEmbeddingModel, type EmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { writeCatalog } from '../../../src/devkit/artifacts/test-catalog.js';
import { testLauncher } from '../runtime/test-hosts.js';

function ok<T>(reply: CommandReply): T {
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
}

const REPO = 'org/moving';
const OLD = commitSha(REPO, 0);
const NEW = commitSha(REPO, 1);
const rounded = (v: ArrayLike<number>): number[] => Array.from(v).map((x) => Math.round(x * 1e4));

describe('an update downloads through the download queue', () => {
  let dir: string;
  let hub: HubServer;
  let catalogPath: string;
  let m1: EmbeddingModel;
  let m2: EmbeddingModel;
  const open: Composition[] = [];

  const compose = async (): Promise<{ c: Composition; progress: SlotDownloadProgress[] }> => {
    const c = await composeApp({
      mode: 'headless', dataDir: join(dir, 'data'), catalogPath, launcher: testLauncher(),
      env: { HOME: dir, HF_HUB_CACHE: join(dir, 'hub'), HF_ENDPOINT: hub.endpoint },
      app: { gpu: { nvidiaSmi: null }, totalMemoryBytes: 16 * 1024 ** 3, hostLoadOptions: { intraOpNumThreads: 1, batchSize: 4, maxSequenceLength: 32 } },
    });
    open.push(c);
    const progress: SlotDownloadProgress[] = [];
    c.app.subscribe((e: AppEvent) => { if (e.type === 'download' && e.progress.slot === 'E1') progress.push(e.progress); });
    return { c, progress };
  };
  const vector = async (c: Composition): Promise<number[]> => rounded(ok<EmbedResult>(await c.app.execute('embed', { slot: 'E1', texts: ['hello world'] })).vectors[0] ?? []);
  const until = async (what: string, cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 800 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
    if (!cond()) throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-update-dl-'));
    m1 = await writeEmbeddingModel({ dir: join(dir, 'gen1'), vocab: 300, dim: 16, seed: 1 });
    m2 = await writeEmbeddingModel({ dir: join(dir, 'gen2'), vocab: 300, dim: 16, seed: 2 });
    const tokenizer = await readFile(m1.tokenizerPath);
    const commitOf = async (m: EmbeddingModel): Promise<{ files: Array<{ path: string; content: Buffer; lfs: boolean }> }> => ({
      files: [{ path: 'model.onnx', content: await readFile(m.modelPath), lfs: false }, { path: 'tokenizer.json', content: tokenizer, lfs: false }],
    });
    hub = await startHubServer({ repos: [{ id: REPO, commits: [await commitOf(m1)] }] });
    catalogPath = await writeCatalog(dir, { E1: { repo: REPO, revision: 'main', dims: 16, files: [{ path: 'model.onnx', role: 'model' }, { path: 'tokenizer.json', role: 'tokenizer' }] } });
    const { c } = await compose();
    await c.app.start();
    ok(await c.app.execute('download', { slot: 'E1' }));
    await c.app.shutdown();
    await hub.putRepo({ id: REPO, commits: [await commitOf(m1), await commitOf(m2)] });
  });
  afterAll(async () => {
    for (const c of open) await c.app.shutdown();
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows labelled progress; cancel leaves the loaded slot on its old commit', { timeout: 90_000 }, async () => {
    const { c, progress } = await compose();
    await c.app.start();
    ok(await c.app.execute('load', { slot: 'E1' }));
    // Slow enough to be seen moving, paused and cancelled.
    hub.addFault({ method: 'GET', path: `/resolve/${NEW}/model.onnx`, times: Infinity, action: { kind: 'throttle', bytesPerSec: 2000 } });
    const applying = c.app.execute('applyUpdate', { slot: 'E1' });
    await until('update progress', () => progress.some((p) => p.phase === 'downloading' && p.bytes > 0));
    const moving = progress.find((p) => p.phase === 'downloading');
    expect(moving?.revision).toEqual({ kind: 'update', from: OLD, to: NEW });
    expect(c.app.snapshot().downloads.find((d) => d.slot === 'E1')?.revision).toEqual({ kind: 'update', from: OLD, to: NEW });
    // The slot goes on serving its old model while the new one arrives.
    expect(c.app.snapshot().slots.find((s) => s.id === 'E1')?.state).toBe('loaded');

    ok(await c.app.execute('pauseDownload', { slot: 'E1' }));
    await until('the pause', () => progress.at(-1)?.phase === 'paused');
    ok(await c.app.execute('cancelDownload', { slot: 'E1' }));
    const reply = await applying;
    hub.clearFaults();
    expect(reply.ok ? null : reply.error).toMatchObject({ code: 'EMB-E136', details: { from: OLD, to: NEW, cause: 'EMB-E114' } });
    expect(progress.at(-1)).toMatchObject({ phase: 'cancelled', revision: { kind: 'update', from: OLD, to: NEW } });

    const snap = c.app.snapshot();
    expect(snap.slots.find((s) => s.id === 'E1')?.state).toBe('loaded');
    expect(snap.catalog.find((s) => s.slot === 'E1')?.revision).toBe('main');
    expect((await readFile(join(dir, 'hub', 'models--org--moving', 'refs', 'main'), 'utf8')).trim()).toBe(OLD);
    expect(await vector(c)).toEqual(rounded(m1.reference('hello world')));
    await c.app.shutdown();
  });

  it('a paused update finishes after resume and switches the slot', { timeout: 90_000 }, async () => {
    const { c, progress } = await compose();
    await c.app.start();
    ok(await c.app.execute('load', { slot: 'E1' }));
    hub.addFault({ method: 'GET', path: `/resolve/${NEW}/model.onnx`, times: Infinity, action: { kind: 'throttle', bytesPerSec: 2000 } });
    let settled = false;
    const applying = c.app.execute('applyUpdate', { slot: 'E1' }).finally(() => { settled = true; });
    await until('update progress', () => progress.some((p) => p.phase === 'downloading' && p.bytes > 0));
    ok(await c.app.execute('pauseDownload', { slot: 'E1' }));
    await until('the pause', () => progress.at(-1)?.phase === 'paused');
    // Paused is not over: the update waits for resume, the slot still on its old commit.
    expect(settled).toBe(false);
    expect(await vector(c)).toEqual(rounded(m1.reference('hello world')));
    hub.clearFaults();
    ok(await c.app.execute('resumeDownload', { slot: 'E1' }));
    const result = ok<UpdateResult>(await applying);
    expect(result).toMatchObject({ from: OLD, to: NEW, reloaded: true });
    expect(progress.at(-1)).toMatchObject({ phase: 'done', revision: { kind: 'update', from: OLD, to: NEW } });
    expect(await vector(c)).toEqual(rounded(m2.reference('hello world')));
    await c.app.shutdown();
  });
});
