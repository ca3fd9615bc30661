import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitSha, gitBlobSha1 } from '../../../../src/devkit/hub/hub-server.js';
import { MODEL, startEnv, type HubTestEnv } from './hub-test-env.js';

describe('Downloader: the standard HF cache layout', () => {
  let env: HubTestEnv;
  beforeEach(async () => { env = await startEnv(); });
  afterEach(async () => { await env.close(); });

  it('writes blobs by etag, relative snapshot symlinks and refs exactly as huggingface_hub does', async () => {
    const d = env.downloader();
    const commit = commitSha(MODEL, 1);
    const repoDir = join(env.cacheDir, 'models--org--model');

    const weights = await d.download({ repo: MODEL, revision: 'main', path: 'model.onnx' });
    expect(weights).toMatchObject({ commit, etag: env.sha(env.files.weights), sha256: env.sha(env.files.weights), size: env.files.weights.length, verifiedBy: 'lfs', reused: false });
    expect(weights.blobPath).toBe(join(repoDir, 'blobs', env.sha(env.files.weights)));
    expect(weights.snapshotPath).toBe(join(repoDir, 'snapshots', commit, 'model.onnx'));
    expect(await readlink(weights.snapshotPath)).toBe(`../../blobs/${env.sha(env.files.weights)}`);

    const nested = await d.download({ repo: MODEL, revision: 'main', path: 'onnx/model.onnx_data' });
    expect(await readlink(nested.snapshotPath)).toBe(`../../../blobs/${env.sha(env.files.data)}`);

    const config = await d.download({ repo: MODEL, revision: 'main', path: 'config.json' });
    expect(config).toMatchObject({ etag: gitBlobSha1(env.files.config), verifiedBy: 'git-sha1', sha256: env.sha(env.files.config) });
    expect(await readlink(config.snapshotPath)).toBe(`../../blobs/${gitBlobSha1(env.files.config)}`);

    expect(await readFile(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    expect((await readFile(weights.snapshotPath)).equals(env.files.weights)).toBe(true);
    expect(await realpath(nested.snapshotPath)).toBe(nested.blobPath);
    // Nothing but finished blobs in blobs/, no lock left behind.
    expect((await readdir(join(repoDir, 'blobs'))).sort()).toEqual([env.sha(env.files.weights), env.sha(env.files.data), gitBlobSha1(env.files.config)].sort());
    expect(await readdir(join(env.cacheDir, '.locks', 'models--org--model'))).toEqual([]);
  });

  it('reuses a blob already in the cache without downloading it again', async () => {
    const d = env.downloader();
    await d.download({ repo: MODEL, revision: 'main', path: 'model.onnx' });
    env.hub.clearLog();
    const again = await d.download({ repo: MODEL, revision: 'main', path: 'model.onnx' });
    expect(again.reused).toBe(true);
    expect(env.hub.log.filter((r) => r.method === 'GET')).toEqual([]);
  });

  it('writes refs/pr/1 for a ref with slashes and encodes it as one URL segment', async () => {
    const d = env.downloader();
    const f = await d.download({ repo: MODEL, revision: 'refs/pr/1', path: 'config.json' });
    expect(await readFile(join(env.cacheDir, 'models--org--model', 'refs', 'refs', 'pr', '1'), 'utf8')).toBe(f.commit);
    expect(env.hub.log.some((r) => r.method === 'HEAD' && r.path.includes('/resolve/refs%2Fpr%2F1/config.json'))).toBe(true);
  });

  it('reports progress at most every 100 ms of its clock, with every phase once, in order', async () => {
    let t = 0;
    // A clock that moves 5 ms per look: thousands of chunks would give thousands of events if unthrottled.
    // In this thread, so every chunk reaches the reporter (the download worker sums its counts on its own clock).
    const d = env.downloader({ now: () => (t += 5), worker: null });
    const seen: Array<{ phase: string; bytes: number; at: number }> = [];
    await d.download({ repo: MODEL, revision: 'main', path: 'model.onnx' }, { onProgress: (p) => seen.push({ phase: p.phase, bytes: p.bytes, at: t }) });
    expect(seen.map((e) => e.phase).filter((x, i, a) => a[i - 1] !== x)).toEqual(['resolving', 'downloading', 'verifying', 'done']);
    const bytes = seen.filter((e) => e.phase === 'downloading');
    expect(bytes.length).toBeGreaterThan(2);
    // About 48 chunks of 64 KiB arrive: unthrottled, each would be an event.
    expect(bytes.length).toBeLessThan(24);
    for (let i = 1; i < bytes.length; i++) expect((bytes[i]?.at ?? 0) - (bytes[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(100);
    expect(seen.at(-1)).toMatchObject({ phase: 'done', bytes: env.files.weights.length });
  });

  it('checks a catalog sha256 pin and reports verifiedBy catalog', async () => {
    const d = env.downloader();
    const f = await d.download({ repo: MODEL, revision: 'main', path: 'tokenizer.json', sha256: env.sha(env.files.tokenizer), size: env.files.tokenizer.length });
    expect(f.verifiedBy).toBe('catalog');
    expect((await lstat(f.snapshotPath)).isSymbolicLink()).toBe(true);
  });
});
