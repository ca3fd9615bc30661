/**
 * Lockfiles end to end against the test Hub: lock a layout on one server, verify it,
 * change one byte and see verify name the file, restore on a second server with a fresh
 * HF cache (after the Hub moved main, so only the commit gets the locked bytes) and verify
 * there; a restore with a commit the Hub does not have and one with a wrong sha256 fail
 * for that slot only, with codes, leaving the slot as it was.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandReply } from '../../../src/shared/contract/api.js';
import type { LayoutStatus, Lockfile, LockResult, LockVerifyReport, RestorePreview, RestoreResult } from '../../../src/shared/layouts/layouts.js';
import { composeApp, type Composition } from '../../../src/main/startup/compose.js';
import { HubCacheLayout } from '../../../src/main/core/artifacts/cache/hf-cache-layout.js';
import { startHubServer, type HubServer } from '../../../src/devkit/hub/hub-server.js';
import { commitSha } from '../../../src/devkit/hub/repos.js';
import { writeEmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { writeCatalog } from '../../../src/devkit/artifacts/test-catalog.js';
import { testLauncher } from '../runtime/test-hosts.js';

function ok<T>(reply: CommandReply): T {
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('lock, verify and restore a layout', () => {
  let dir: string;
  let hub: HubServer;
  let catalogPath: string;
  const open: Composition[] = [];
  const files: Record<string, Buffer> = {};

  const compose = async (name: string): Promise<Composition> => {
    const c = await composeApp({
      mode: 'headless', dataDir: join(dir, name, 'data'), catalogPath, launcher: testLauncher(),
      env: { HOME: dir, HF_HUB_CACHE: join(dir, name, 'hub'), HF_ENDPOINT: hub.endpoint },
      app: { gpu: { nvidiaSmi: null }, totalMemoryBytes: 16 * 1024 ** 3, hostLoadOptions: { intraOpNumThreads: 1, batchSize: 4, maxSequenceLength: 32 } },
    });
    open.push(c);
    await c.app.start();
    return c;
  };

  let a: Composition;
  let lock: Lockfile;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-lock-'));
    const m1 = await writeEmbeddingModel({ dir: join(dir, 'gen1'), vocab: 300, dim: 16, seed: 1 });
    const m2 = await writeEmbeddingModel({ dir: join(dir, 'gen2'), vocab: 300, dim: 16, seed: 2, externalData: true });
    files['model.onnx'] = await readFile(m1.modelPath);
    files['tokenizer.json'] = await readFile(m1.tokenizerPath);
    files['config.json'] = Buffer.from(JSON.stringify({ hidden_size: 16, model_type: 'bert' }));
    files['onnx/model.onnx'] = await readFile(m2.modelPath);
    files['onnx/model.onnx_data'] = await readFile(m2.externalData[0] as string);
    const alpha = { files: ['model.onnx', 'tokenizer.json', 'config.json'].map((p) => ({ path: p, content: files[p] as Buffer, lfs: p === 'model.onnx' })) };
    const beta = { files: ['onnx/model.onnx', 'onnx/model.onnx_data', 'tokenizer.json'].map((p) => ({ path: p, content: files[p] as Buffer, lfs: p !== 'tokenizer.json' })) };
    hub = await startHubServer({ repos: [{ id: 'org/alpha', commits: [alpha] }, { id: 'org/beta', commits: [beta] }] });
    catalogPath = await writeCatalog(dir, {
      E1: { repo: 'org/alpha', revision: 'main', dims: 16, files: [{ path: 'model.onnx', role: 'model' }, { path: 'tokenizer.json', role: 'tokenizer' }, { path: 'config.json', role: 'config' }] },
      E2: { repo: 'org/beta', revision: 'main', dims: 16, files: [{ path: 'onnx/model.onnx', role: 'model' }, { path: 'onnx/model.onnx_data', role: 'external-data' }, { path: 'tokenizer.json', role: 'tokenizer' }] },
    });
    a = await compose('a');
    ok(await a.app.execute('download', { slot: 'E1' }));
    ok(await a.app.execute('download', { slot: 'E2' }));
    ok(await a.app.execute('setAlias', { slot: 'E1', alias: 'alpha' }));
    ok(await a.app.execute('pin', { slot: 'E2' }));
    ok(await a.app.execute('setPreload', { slot: 'E1', preload: true }));
  }, 120_000);
  afterAll(async () => {
    for (const c of open) await c.app.shutdown();
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('locks every downloaded slot at its commit with the sha256 of its bytes, in a stable order', async () => {
    const result = ok<LockResult>(await a.app.execute('lockLayout', {}));
    lock = result.lock;
    expect(lock.lockfileVersion).toBe(1);
    expect(lock.slots.map((s) => s.slot)).toEqual(['E1', 'E2']);
    const e1 = lock.slots[0];
    expect(e1).toMatchObject({ slot: 'E1', repo: 'org/alpha', revision: commitSha('org/alpha', 0), alias: 'alpha', pinned: false, preload: true, device: 'cpu', pooling: 'mean', dims: 16, variant: 'fp32' });
    expect(e1?.files.map((f) => [f.path, f.sha256, f.size])).toEqual(['config.json', 'model.onnx', 'tokenizer.json'].map((p) => [p, sha(files[p] as Buffer), (files[p] as Buffer).length]));
    expect(lock.slots[1]).toMatchObject({ slot: 'E2', revision: commitSha('org/beta', 0), pinned: true, alias: null });
    // Stable key order and no local path or token anywhere.
    const text = JSON.stringify(lock);
    expect(Object.keys(e1 ?? {})).toEqual(['slot', 'repo', 'revision', 'files', 'variant', 'pooling', 'dims', 'device', 'alias', 'pinned', 'preload']);
    expect(text).not.toContain(dir);
    expect(result.skipped).toEqual([]);
    const status = ok<LayoutStatus>(await a.app.execute('layoutStatus', {}));
    expect(status).toMatchObject({ differs: false, last: { how: 'written', slots: ['E1', 'E2'] } });
  });

  it('verify passes, then names the one file whose byte changed', async () => {
    expect(ok<LockVerifyReport>(await a.app.execute('verifyLock', { lock })).ok).toBe(true);
    const layout = new HubCacheLayout(join(dir, 'a', 'hub'));
    const blob = await realpath(layout.snapshotPath('org/beta', commitSha('org/beta', 0), 'onnx/model.onnx_data'));
    const bytes = await readFile(blob);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    await writeFile(blob, bytes);
    const report = ok<LockVerifyReport>(await a.app.execute('verifyLock', { lock }));
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(['E2 onnx/model.onnx_data: sha256 differs']);
    expect(report.slots.find((s) => s.slot === 'E1')?.ok).toBe(true);
  });

  it('a damaged lockfile is refused with EMB-E150 naming the field', async () => {
    const bad = structuredClone(lock) as unknown as { slots: Array<{ revision: string }> };
    (bad.slots[0] as { revision: string }).revision = 'main';
    const reply = await a.app.execute('verifyLock', { lock: bad });
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('EMB-E150');
      expect(reply.error.message).toContain('slots.0.revision');
    }
  });

  it('restores on a second server with a fresh cache: the locked commit, files verified, alias, pin, preload', async () => {
    // The Hub moves main: a restore that followed the branch would get other bytes.
    const other = { files: [{ path: 'model.onnx', content: Buffer.from('not the locked model'), lfs: true }, { path: 'tokenizer.json', content: files['tokenizer.json'] as Buffer, lfs: false }, { path: 'config.json', content: Buffer.from('{}'), lfs: false }] };
    const alpha = { files: ['model.onnx', 'tokenizer.json', 'config.json'].map((p) => ({ path: p, content: files[p] as Buffer, lfs: p === 'model.onnx' })) };
    await hub.putRepo({ id: 'org/alpha', commits: [alpha, other] });
    const b = await compose('b');
    expect(ok<LockVerifyReport>(await b.app.execute('verifyLock', { lock })).problems).toContain('E1 model.onnx: missing from the cache at ' + commitSha('org/alpha', 0).slice(0, 12));
    const preview = ok<RestorePreview>(await b.app.execute('previewRestore', { lock }));
    expect(preview.slots.find((s) => s.slot === 'E1')?.changes.map((c) => c.field)).toEqual(expect.arrayContaining(['model', 'alias', 'preload']));
    expect(preview.downloadBytes).toBe(lock.slots.flatMap((s) => s.files).reduce((n, f) => n + f.size, 0));
    const progress: string[] = [];
    const off = b.app.subscribe((e) => { if (e.type === 'download') progress.push(`${e.progress.slot}:${e.progress.phase}`); });
    const result = ok<RestoreResult>(await b.app.execute('restoreLock', { lock }));
    off();
    expect(result.ok).toBe(true);
    expect(result.slots.map((s) => [s.slot, s.ok, s.device.used])).toEqual([['E1', true, 'cpu'], ['E2', true, 'cpu']]);
    expect(progress).toEqual(expect.arrayContaining(['E1:done', 'E2:done']));
    expect(ok<LockVerifyReport>(await b.app.execute('verifyLock', { lock })).ok).toBe(true);
    const snap = b.app.snapshot();
    expect(snap.catalog.find((c) => c.slot === 'E1')?.revision).toBe(commitSha('org/alpha', 0));
    expect(snap.settings.settings.slots.E1?.alias).toBe('alpha');
    expect(snap.slots.find((s) => s.id === 'E2')?.pinned).toBe(true);
    expect(snap.slots.find((s) => s.id === 'E1')?.preload).toBe(true);
    expect(ok<LayoutStatus>(await b.app.execute('layoutStatus', {}))).toMatchObject({ differs: false, last: { how: 'restored' } });
    ok(await b.app.execute('unpin', { slot: 'E2' }));
    expect(ok<LayoutStatus>(await b.app.execute('layoutStatus', {})).differences).toEqual(['E2 pinned: now false, locked true']);
  }, 120_000);

  it('a commit the Hub does not have and a wrong sha256 fail their slot only, with codes, and leave it as it was', async () => {
    const c = await compose('c');
    const bad = structuredClone(lock);
    const e1 = bad.slots[0] as Lockfile['slots'][number];
    const e2 = bad.slots[1] as Lockfile['slots'][number];
    e1.revision = 'f'.repeat(40);
    const data = e2.files.find((f) => f.path === 'onnx/model.onnx_data') as { sha256: string };
    data.sha256 = '0'.repeat(64);
    const result = ok<RestoreResult>(await c.app.execute('restoreLock', { lock: bad }));
    expect(result.ok).toBe(false);
    expect(result.slots.find((s) => s.slot === 'E1')?.error?.code).toBe('EMB-E104');
    const r2 = result.slots.find((s) => s.slot === 'E2');
    expect(r2?.error?.code).toBe('EMB-E108');
    expect(r2?.error?.message).toContain('E2 onnx/model.onnx_data: sha256 differs');
    // Both slots keep the catalog's model; the aliases and pins of failed slots are not applied.
    const snap = c.app.snapshot();
    expect(snap.settings.settings.slots.E1?.source ?? null).toBeNull();
    expect(snap.settings.settings.slots.E2?.source ?? null).toBeNull();
    expect(snap.settings.settings.slots.E1?.alias ?? null).toBeNull();
    // One good slot in the same lock still restores.
    const mixed = structuredClone(lock);
    (mixed.slots[0] as Lockfile['slots'][number]).revision = 'f'.repeat(40);
    const again = ok<RestoreResult>(await c.app.execute('restoreLock', { lock: mixed }));
    expect(again.slots.map((s) => [s.slot, s.ok])).toEqual([['E1', false], ['E2', true]]);
  }, 120_000);
});
