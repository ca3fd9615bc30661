/**
 * Applying an update and rolling it back against the test Hub, with two commits whose
 * models differ (another seed), so the vectors tell which commit a loaded slot runs:
 * a corrupt download of the new commit leaves the slot exactly as it was (same commit,
 * still loaded, same vectors, refs/main untouched); a good one switches the loaded slot
 * and reloads it; roll back returns to the old commit; the history survives a restart.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandReply, EmbedResult } from '../../../src/shared/contract/api.js';
import type { UpdateResult, UpdatesView } from '../../../src/shared/artifacts/updates.js';
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

describe('apply and roll back an update', () => {
  let dir: string;
  let hub: HubServer;
  let catalogPath: string;
  let m1: EmbeddingModel;
  let m2: EmbeddingModel;
  const open: Composition[] = [];
  let commitOf: (m: EmbeddingModel) => Promise<{ files: Array<{ path: string; content: Buffer; lfs: boolean }> }>;

  const compose = async (): Promise<Composition> => {
    const c = await composeApp({
      mode: 'headless', dataDir: join(dir, 'data'), catalogPath, launcher: testLauncher(),
      env: { HOME: dir, HF_HUB_CACHE: join(dir, 'hub'), HF_ENDPOINT: hub.endpoint },
      app: { gpu: { nvidiaSmi: null }, totalMemoryBytes: 16 * 1024 ** 3, hostLoadOptions: { intraOpNumThreads: 1, batchSize: 4, maxSequenceLength: 32 } },
    });
    open.push(c);
    return c;
  };
  const vector = async (c: Composition): Promise<number[]> => rounded(ok<EmbedResult>(await c.app.execute('embed', { slot: 'E1', texts: ['hello world'] })).vectors[0] ?? []);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-apply-'));
    m1 = await writeEmbeddingModel({ dir: join(dir, 'gen1'), vocab: 300, dim: 16, seed: 1 });
    m2 = await writeEmbeddingModel({ dir: join(dir, 'gen2'), vocab: 300, dim: 16, seed: 2 });
    const tokenizer = await readFile(m1.tokenizerPath);
    commitOf = async (m: EmbeddingModel): Promise<{ files: Array<{ path: string; content: Buffer; lfs: boolean }> }> => ({
      files: [{ path: 'model.onnx', content: await readFile(m.modelPath), lfs: false }, { path: 'tokenizer.json', content: tokenizer, lfs: false }],
    });
    hub = await startHubServer({ repos: [{ id: REPO, commits: [await commitOf(m1)] }] });
    catalogPath = await writeCatalog(dir, { E1: { repo: REPO, revision: 'main', dims: 16, files: [{ path: 'model.onnx', role: 'model' }, { path: 'tokenizer.json', role: 'tokenizer' }] } });
    const c = await compose();
    await c.app.start();
    ok(await c.app.execute('download', { slot: 'E1' }));
    await c.app.shutdown();
    // The Hub moves main: the new commit's model has other weights.
    await hub.putRepo({ id: REPO, commits: [await commitOf(m1), await commitOf(m2)] });
  });
  afterAll(async () => {
    for (const c of open) await c.app.shutdown();
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a corrupt download of the new commit leaves the loaded slot exactly as it was', async () => {
    const c = await compose();
    await c.app.start();
    ok(await c.app.execute('load', { slot: 'E1' }));
    expect(await vector(c)).toEqual(rounded(m1.reference('hello world')));
    const sourceBefore = c.app.snapshot().settings.settings.slots.E1?.source ?? null;

    hub.addFault({ method: 'GET', path: `/resolve/${NEW}/model.onnx`, times: Infinity, action: { kind: 'flip', offset: 100 } });
    const failed = await c.app.execute('applyUpdate', { slot: 'E1' });
    hub.clearFaults();
    expect(failed.ok).toBe(false);
    if (!failed.ok) expect(failed.error).toMatchObject({ code: 'EMB-E136', details: { from: OLD, to: NEW } });

    const snap = c.app.snapshot();
    expect(snap.slots.find((s) => s.id === 'E1')?.state).toBe('loaded');
    expect(snap.catalog.find((s) => s.slot === 'E1')?.revision).toBe('main');
    expect(snap.settings.settings.slots.E1?.source ?? null).toEqual(sourceBefore);
    expect((await readFile(join(dir, 'hub', 'models--org--moving', 'refs', 'main'), 'utf8')).trim()).toBe(OLD);
    expect(snap.updates.history ?? []).toEqual([]);
    expect(await vector(c)).toEqual(rounded(m1.reference('hello world')));
    await c.app.shutdown();
  });

  it('applies the update to the loaded slot, rolls back, and keeps the history across a restart', async () => {
    const c = await compose();
    await c.app.start();
    expect(ok<UpdatesView>(await c.app.execute('checkUpdates', { slot: 'E1' })).slots.find((s) => s.slot === 'E1')?.status).toBe('update-available');
    ok(await c.app.execute('load', { slot: 'E1' }));

    const applied = ok<UpdateResult>(await c.app.execute('applyUpdate', { slot: 'E1' }));
    expect(applied).toMatchObject({ slot: 'E1', from: OLD, to: NEW, reloaded: true });
    expect(applied.history).toMatchObject({ active: NEW, branch: 'main' });
    expect(applied.history.entries.map((e) => e.commit)).toEqual([OLD, NEW]);
    expect(applied.history.entries[1]?.fetchedAt).not.toBeNull();
    expect(c.app.snapshot().slots.find((s) => s.id === 'E1')?.state).toBe('loaded');
    expect(c.app.snapshot().catalog.find((s) => s.slot === 'E1')?.revision).toBe(NEW);
    expect(c.app.snapshot().settings.settings.slots.E1?.source).toMatchObject({ repo: REPO, revision: NEW, model: 'model.onnx', tokenizer: 'tokenizer.json' });
    expect(await vector(c)).toEqual(rounded(m2.reference('hello world')));
    expect(c.app.snapshot().updates.slots.find((s) => s.slot === 'E1')).toMatchObject({ status: 'up-to-date', currentCommit: NEW });
    // Nothing newer now.
    const again = await c.app.execute('applyUpdate', { slot: 'E1' });
    expect(again.ok ? null : again.error.code).toBe('EMB-E135');

    const back = ok<UpdateResult>(await c.app.execute('rollbackUpdate', { slot: 'E1' }));
    expect(back).toMatchObject({ from: NEW, to: OLD, reloaded: true });
    expect(back.history.entries.map((e) => e.commit)).toEqual([NEW, OLD]);
    expect(await vector(c)).toEqual(rounded(m1.reference('hello world')));
    await c.app.shutdown();

    const restarted = await compose();
    await restarted.app.start();
    const history = restarted.app.snapshot().updates.history?.find((h) => h.slot === 'E1');
    expect(history).toMatchObject({ repo: REPO, active: OLD });
    expect(JSON.parse(await readFile(join(dir, 'data', 'state', 'history.json'), 'utf8'))).toMatchObject({ version: 1, slots: [{ slot: 'E1', active: OLD }] });
    // Roll back again returns to the newer commit, still on disk.
    expect(ok<UpdateResult>(await restarted.app.execute('rollbackUpdate', { slot: 'E1' }))).toMatchObject({ from: OLD, to: NEW, reloaded: false });
    await restarted.app.shutdown();
  });

  it('a new model that does not load switches the slot back to the one it ran, loaded again', async () => {
    const c = await compose();
    await c.app.start();
    // main moves once more, to a model file that downloads and verifies but is no ONNX model.
    await hub.putRepo({ id: REPO, commits: [await commitOf(m1), await commitOf(m2), { files: [{ path: 'model.onnx', content: Buffer.from('not an onnx model'), lfs: false }, { path: 'tokenizer.json', content: await readFile(m1.tokenizerPath), lfs: false }] }] });
    ok(await c.app.execute('load', { slot: 'E1' }));
    const failed = await c.app.execute('applyUpdate', { slot: 'E1' });
    expect(failed.ok ? null : failed.error).toMatchObject({ code: 'EMB-E136', details: { from: NEW, to: commitSha(REPO, 2) } });
    expect(c.app.snapshot().slots.find((s) => s.id === 'E1')?.state).toBe('loaded');
    expect(c.app.snapshot().settings.settings.slots.E1?.source?.revision).toBe(NEW);
    expect(c.app.snapshot().updates.history?.find((h) => h.slot === 'E1')?.active).toBe(NEW);
    expect(await vector(c)).toEqual(rounded(m2.reference('hello world')));
  });
});
