/**
 * `modelbay lock`, `lock verify`, `lock restore` and `export` against a running server
 * (the real App over the test Hub): the files they write, --json, and the exit codes
 * (0 ok, 1 a file differs or a slot failed, 2 usage, 3 no server).
 */
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../../src/cli/main.js';
import type { LockVerifyReport, Lockfile, ExportResult } from '../../../src/shared/layouts/layouts.js';
import { composeApp, type Composition } from '../../../src/main/startup/compose.js';
import { HubCacheLayout } from '../../../src/main/core/artifacts/cache/hf-cache-layout.js';
import { startServer, type RunningServer } from '../../../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../../../src/main/server/server-token.js';
import { startHubServer, type HubServer } from '../../../src/devkit/hub/hub-server.js';
import { commitSha } from '../../../src/devkit/hub/repos.js';
import { writeEmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { writeCatalog } from '../../../src/devkit/artifacts/test-catalog.js';
import { testLauncher } from '../runtime/test-hosts.js';

const NO_LAUNCH = { serve: () => Promise.resolve(), demo: () => Promise.resolve(), token: () => Promise.resolve(0) };

describe('modelbay lock and export', () => {
  let dir: string;
  let hub: HubServer;
  let c: Composition;
  let server: RunningServer;
  let dataDir: string;

  const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await cli([...args, '--data-dir', dataDir], {}, { out: (t) => (out += t), err: (t) => (err += t), isTTY: false }, NO_LAUNCH);
    return { code, out, err };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-lock-cli-'));
    const m = await writeEmbeddingModel({ dir: join(dir, 'gen'), vocab: 200, dim: 8, seed: 3 });
    hub = await startHubServer({ repos: [{ id: 'org/alpha', commits: [{ files: [{ path: 'model.onnx', content: await readFile(m.modelPath), lfs: true }, { path: 'tokenizer.json', content: await readFile(m.tokenizerPath), lfs: false }] }] }] });
    const catalogPath = await writeCatalog(dir, { E1: { repo: 'org/alpha', revision: 'main', dims: 8, files: [{ path: 'model.onnx', role: 'model' }, { path: 'tokenizer.json', role: 'tokenizer' }] } });
    dataDir = join(dir, 'data');
    c = await composeApp({
      mode: 'headless', dataDir, catalogPath, launcher: testLauncher(),
      env: { HOME: dir, HF_HUB_CACHE: join(dir, 'hub'), HF_ENDPOINT: hub.endpoint },
      app: { gpu: { nvidiaSmi: null }, totalMemoryBytes: 16 * 1024 ** 3 },
    });
    await c.app.start();
    const reply = await c.app.execute('download', { slot: 'E1' });
    if (!reply.ok) throw new Error(reply.error.message);
    server = await startServer({ app: c.app, serving: c.app, token: loadOrCreateServerToken(dataDir), port: 0, rendererDir: null });
    // As the headless entry does: the data folder's lock names the running instance's port.
    c.lock.setPort(server.port);
  }, 120_000);
  afterAll(async () => {
    await server.close();
    await c.app.shutdown();
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lock writes the file, verify passes (0), a changed byte fails naming the file (1)', async () => {
    const file = join(dir, 'modelbay.lock.json');
    const locked = await run('lock', '--out', file);
    expect(locked.code).toBe(0);
    expect(locked.out).toContain('Locked 1 slot to');
    const lock = JSON.parse(await readFile(file, 'utf8')) as Lockfile;
    expect(lock.slots[0]).toMatchObject({ slot: 'E1', revision: commitSha('org/alpha', 0) });
    const good = await run('lock', 'verify', file, '--json');
    expect(good.code).toBe(0);
    expect((JSON.parse(good.out) as LockVerifyReport).ok).toBe(true);
    const blob = await realpath(new HubCacheLayout(join(dir, 'hub')).snapshotPath('org/alpha', commitSha('org/alpha', 0), 'model.onnx'));
    const bytes = await readFile(blob);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await writeFile(blob, bytes);
    const bad = await run('lock', 'verify', file);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('E1 model.onnx: sha256 differs');
    expect(bad.err).toContain('EMB-E108');
    // restore puts the locked bytes back (a fresh download of the differing file) and exits 0.
    const restored = await run('lock', 'restore', file);
    expect(restored.err).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.out).toContain('E1: restored org/alpha@');
    expect((await run('lock', 'verify', file)).code).toBe(0);
  }, 120_000);

  it('export triton --json reports the models; usage mistakes exit 2; a bad lockfile exits 1; no server exits 3', async () => {
    const out = join(dir, 'repo');
    const exported = await run('export', 'triton', out, '--json');
    expect(exported.code).toBe(0);
    expect((JSON.parse(exported.out) as ExportResult).models.map((m) => m.name)).toEqual(['e1']);
    for (const args of [['lock', 'bogus'], ['lock', 'restore'], ['export', 'triton'], ['export', 'docker', out], ['export', 'triton', out, '--storage-uri', 's3://b/p'], ['lock', '--slots', 'E99']]) {
      expect((await run(...args)).code, args.join(' ')).toBe(2);
    }
    await writeFile(join(dir, 'broken.json'), '{"lockfileVersion": 1, "slots": "no"}');
    const broken = await run('lock', 'verify', join(dir, 'broken.json'));
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('EMB-E150');
    let err = '';
    const none = await cli(['lock', '--data-dir', join(dir, 'nobody')], {}, { out: () => undefined, err: (t) => (err += t), isTTY: false }, NO_LAUNCH);
    expect(none).toBe(3);
    expect(err).toContain('EMB-E423');
  }, 60_000);
});
