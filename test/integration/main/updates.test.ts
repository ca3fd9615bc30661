/**
 * "Update available" against the test Hub: a slot downloaded at main is up to date; the
 * Hub then moves main to a new commit that changes only the model file, and the check says
 * so with the bytes to download (the unchanged tokenizer costs nothing). Results survive
 * a restart; an offline start leaves them as they were and a check says unknown.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandReply } from '../../../src/shared/contract/api.js';
import type { UpdatesView } from '../../../src/shared/artifacts/updates.js';
import { composeApp, type Composition } from '../../../src/main/startup/compose.js';
import { startHubServer, type HubServer } from '../../../src/devkit/hub/hub-server.js';
import { writeCatalog } from '../../../src/devkit/artifacts/test-catalog.js';
import { testLauncher } from '../runtime/test-hosts.js';

function ok<T>(reply: CommandReply): T {
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
}

const REPO = 'org/upd';
const tokenizer = randomBytes(20_000);
const v1 = randomBytes(1_500_000);
const v2 = randomBytes(1_700_000);

describe('update available', () => {
  let dir: string;
  let hub: HubServer;
  let catalogPath: string;
  const open: Composition[] = [];

  const compose = async (env: NodeJS.ProcessEnv = {}): Promise<Composition> => {
    const c = await composeApp({
      mode: 'headless', dataDir: join(dir, 'data'), catalogPath, launcher: testLauncher(),
      env: { HOME: dir, HF_HUB_CACHE: join(dir, 'hub'), HF_ENDPOINT: hub.endpoint, ...env },
      app: { gpu: { nvidiaSmi: null }, totalMemoryBytes: 16 * 1024 ** 3 },
    });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-upd-'));
    hub = await startHubServer({ repos: [{ id: REPO, commits: [{ files: [{ path: 'model.onnx', content: v1, lfs: true }, { path: 'tokenizer.json', content: tokenizer, lfs: false }] }] }] });
    catalogPath = await writeCatalog(dir, { E1: { repo: REPO, revision: 'main', files: [{ path: 'model.onnx', role: 'model' }, { path: 'tokenizer.json', role: 'tokenizer' }] } });
  });
  afterAll(async () => {
    for (const c of open) await c.app.shutdown();
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is up to date after a download, then sees main move with the size of what changed', async () => {
    const c = await compose();
    await c.app.start();
    ok(await c.app.execute('download', { slot: 'E1' }));
    const first = ok<UpdatesView>(await c.app.execute('checkUpdates', {}));
    const e1 = first.slots.find((s) => s.slot === 'E1');
    expect(e1).toMatchObject({ status: 'up-to-date', branch: 'main', updateBytes: 0, error: null });
    expect(e1?.currentCommit).toBe(e1?.remoteCommit);
    expect(first.lastCheckAt).not.toBeNull();

    // The Hub moves main to a new commit: the model changes, the tokenizer does not.
    await hub.putRepo({
      id: REPO,
      commits: [
        { files: [{ path: 'model.onnx', content: v1, lfs: true }, { path: 'tokenizer.json', content: tokenizer, lfs: false }] },
        { files: [{ path: 'model.onnx', content: v2, lfs: true }, { path: 'tokenizer.json', content: tokenizer, lfs: false }] },
      ],
    });
    const second = ok<UpdatesView>(await c.app.execute('checkUpdates', { slot: 'E1' }));
    const moved = second.slots.find((s) => s.slot === 'E1');
    expect(moved).toMatchObject({ status: 'update-available', currentCommit: e1?.currentCommit, updateBytes: v2.length });
    expect(moved?.remoteCommit).not.toBe(e1?.currentCommit);
    expect(c.app.snapshot().updates.slots.find((s) => s.slot === 'E1')?.status).toBe('update-available');
    await c.app.shutdown();
  });

  it('keeps the results across a restart; offline, a check is unknown rather than an error', async () => {
    const c = await compose({ HF_HUB_OFFLINE: '1' });
    await c.app.start();
    expect(c.app.snapshot().updates.slots.find((s) => s.slot === 'E1')?.status).toBe('update-available');
    const offline = ok<UpdatesView>(await c.app.execute('checkUpdates', { slot: 'E1' }));
    expect(offline.slots.find((s) => s.slot === 'E1')).toMatchObject({ status: 'unknown', remoteCommit: null, error: { code: 'EMB-E112' } });
  });
});
