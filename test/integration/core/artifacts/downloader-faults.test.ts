/**
 * Every fault ends with a verified file or a failure with a code — and never a corrupt
 * or unverified blob in blobs/.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DownloadedFile, FileProgressUpdate } from '../../../../src/main/core/artifacts/transfer/downloader.js';
import { commitSha } from '../../../../src/devkit/hub/hub-server.js';
import { GATED, GOOD_TOKEN, MODEL, startEnv, type HubTestEnv } from './hub-test-env.js';

const W = { repo: MODEL, revision: 'main', path: 'model.onnx' };

describe('Downloader faults', () => {
  let env: HubTestEnv;
  beforeEach(async () => { env = await startEnv(); });
  afterEach(async () => { await env.close(); });

  const blobsDir = (): string => join(env.cacheDir, 'models--org--model', 'blobs');
  /** Only names that are verified blobs (no partials) and each holds its sha256. */
  const assertNoCorruptBlob = async (): Promise<void> => {
    const names = existsSync(blobsDir()) ? await readdir(blobsDir()) : [];
    for (const n of names.filter((x) => /^[0-9a-f]{64}$/.test(x))) {
      expect(env.sha(await readFile(join(blobsDir(), n)))).toBe(n);
    }
  };
  const assertVerified = async (f: DownloadedFile, content: Buffer): Promise<void> => {
    expect(f.sha256).toBe(env.sha(content));
    expect(env.sha(await readFile(f.snapshotPath))).toBe(env.sha(content));
    await assertNoCorruptBlob();
    expect((await readdir(blobsDir())).filter((n) => n.includes('incomplete') || n.includes('parts'))).toEqual([]);
  };
  const cdnGets = (): Array<string | null> => env.hub.log.filter((r) => r.origin === 'cdn' && r.method === 'GET').map((r) => r.range);

  it('resumes a dropped connection with Range: bytes=N- from the byte it stopped at', async () => {
    env.hub.addFault({ origin: 'cdn', action: { kind: 'drop', afterBytes: 1_000_000 } });
    const f = await env.downloader().download(W);
    await assertVerified(f, env.files.weights);
    expect(cdnGets()).toEqual([null, 'bytes=1000000-']);
    expect(env.sleeps).toHaveLength(0 + 1);
  });

  it('retries a stalled transfer after the idle timeout', async () => {
    env.hub.addFault({ origin: 'cdn', action: { kind: 'stall', afterBytes: 500_000 } });
    const f = await env.downloader({ idleTimeoutMs: 300 }).download(W);
    await assertVerified(f, env.files.weights);
    expect(cdnGets()).toEqual([null, 'bytes=500000-']);
  });

  it('retries a server that answers headers and then sends nothing', async () => {
    env.hub.addFault({ origin: 'cdn', times: 2, action: { kind: 'stall', afterBytes: 0 } });
    const f = await env.downloader({ idleTimeoutMs: 200 }).download(W);
    await assertVerified(f, env.files.weights);
    expect(cdnGets()).toEqual([null, null, null]);
  });

  it('honours Retry-After on 429 and backs off on 5xx', async () => {
    env.hub.addFault({ origin: 'hub', method: 'HEAD', action: { kind: 'status', status: 429, retryAfter: 7 } });
    env.hub.addFault({ origin: 'cdn', times: 2, action: { kind: 'status', status: 503 } });
    const f = await env.downloader({ backoffMs: { initial: 1000, max: 8000 } }).download(W);
    await assertVerified(f, env.files.weights);
    expect(env.sleeps[0]).toBe(7000);
    expect(env.sleeps.slice(1)).toHaveLength(2);
    expect(env.sleeps[1]).toBeGreaterThanOrEqual(750);
    expect(env.sleeps[1]).toBeLessThanOrEqual(1250);
    expect(env.sleeps[2]).toBeGreaterThanOrEqual(1500);
    expect(env.sleeps[2]).toBeLessThanOrEqual(2500);
  });

  it('reports each retry with its attempt, code and next try, and clears it once bytes flow', async () => {
    env.hub.addFault({ origin: 'cdn', times: 2, action: { kind: 'status', status: 503 } });
    const updates: FileProgressUpdate[] = [];
    const f = await env.downloader({ retries: 5, now: () => 50_000 }).download(W, { onProgress: (u) => updates.push(u) });
    await assertVerified(f, env.files.weights);
    const notices = updates.map((u) => u.retry).filter((r) => r !== null);
    expect(notices.map((r) => [r.attempt, r.of])).toEqual([[2, 6], [3, 6]]);
    expect(notices[0]?.code).toBe('EMB-E116');
    expect(notices[0]?.nextAt).toBe(50_000 + (env.sleeps[0] ?? NaN));
    const lastNotice = updates.findLastIndex((u) => u.retry !== null);
    expect(updates.slice(lastNotice + 1).some((u) => u.phase === 'downloading' && u.retry === null)).toBe(true);
    expect(updates.at(-1)).toMatchObject({ phase: 'done', retry: null });
  });

  it('gives up with EMB-E116 after the retries when the server keeps failing', async () => {
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'status', status: 500 } });
    const err = await env.downloader({ retries: 3 }).download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E116', details: { status: 500 } });
    expect(env.sleeps).toHaveLength(3);
    expect(existsSync(join(blobsDir(), env.sha(env.files.weights)))).toBe(false);
  });

  it('a flipped byte fails the hash: the download starts over from zero once and ends verified', async () => {
    env.hub.addFault({ origin: 'cdn', action: { kind: 'flip', offset: 2_000_000 } });
    const f = await env.downloader().download(W);
    await assertVerified(f, env.files.weights);
    expect(cdnGets()).toEqual([null, null]);
  });

  it('a byte flipped every time fails with EMB-E108 and leaves no blob and no partial', async () => {
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'flip', offset: 5 } });
    const err = await env.downloader().download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E108' });
    expect(await readdir(blobsDir())).toEqual([]);
  });

  it('a flipped byte in a regular file fails its git sha1', async () => {
    env.hub.addFault({ origin: 'hub', method: 'GET', times: Infinity, action: { kind: 'flip', offset: 10 } });
    const err = await env.downloader().download({ ...W, path: 'tokenizer.json' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E108' });
    expect(await readdir(blobsDir())).toEqual([]);
  });

  it('a size the bytes do not match fails with EMB-E109 (too big or too small), nothing kept', async () => {
    for (const size of [env.files.weights.length + 1000, env.files.weights.length - 1000]) {
      env.hub.addFault({ origin: 'hub', method: 'HEAD', times: Infinity, action: { kind: 'lie-size', size } });
      const err = await env.downloader().download(W).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'EMB-E109' });
      expect(await readdir(blobsDir())).toEqual([]);
      env.hub.clearFaults();
    }
  });

  it('a 200 answer to a Range restarts the file from zero instead of appending', async () => {
    env.hub.addFault({ origin: 'cdn', action: { kind: 'drop', afterBytes: 1_500_000 } });
    env.hub.addFault({ origin: 'cdn', path: 'X-Amz', times: 2, action: { kind: 'ignore-range' } });
    const f = await env.downloader().download(W);
    await assertVerified(f, env.files.weights);
    expect(cdnGets()).toEqual([null, 'bytes=1500000-']);
    expect(env.hub.log.filter((r) => r.origin === 'cdn').map((r) => r.status)).toEqual([200, 200]);
  });

  it('with hashing in a worker thread: drops, a 200 to a Range and a flipped byte all end verified', async () => {
    env.hub.addFault({ origin: 'cdn', action: { kind: 'drop', afterBytes: 1_200_000 } });
    env.hub.addFault({ origin: 'cdn', path: 'X-Amz', times: 2, action: { kind: 'ignore-range' } });
    const d = env.downloader({ hashInWorkerMinBytes: 1 });
    await assertVerified(await d.download(W), env.files.weights);
    expect(cdnGets()).toEqual([null, 'bytes=1200000-']);

    env.hub.clearLog();
    env.hub.addFault({ origin: 'cdn', action: { kind: 'flip', offset: 1_500_000 } });
    const data = await d.download({ ...W, path: 'onnx/model.onnx_data', size: env.files.data.length });
    expect(data.sha256).toBe(env.sha(env.files.data));
    expect(cdnGets()).toEqual([null, null]);
    env.hub.addFault({ origin: 'hub', method: 'GET', times: Infinity, action: { kind: 'flip', offset: 1 } });
    expect(await d.download({ ...W, path: 'tokenizer.json' }).catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E108' });
    await assertNoCorruptBlob();
  });

  it('an expired CDN URL (403) is renewed from the Hub once and the download goes on', async () => {
    env.hub.addFault({ origin: 'cdn', action: { kind: 'drop', afterBytes: 800_000 } });
    env.hub.addFault({ origin: 'cdn', after: 1, action: { kind: 'status', status: 403, errorMessage: 'Request has expired' } });
    const f = await env.downloader().download(W);
    await assertVerified(f, env.files.weights);
    expect(env.hub.log.map((r) => [r.method, r.origin, r.status])).toEqual([
      ['HEAD', 'hub', 302], ['GET', 'cdn', 200], ['GET', 'cdn', 403], ['HEAD', 'hub', 302], ['GET', 'cdn', 206],
    ]);
    expect(cdnGets().at(-1)).toBe('bytes=800000-');
    // A CDN that keeps refusing is a failure with a code, not a loop.
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'status', status: 403 } });
    expect(await env.downloader().download({ ...W, path: 'onnx/model.onnx_data' }).catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E116', details: { status: 403 } });
  });

  it('finishes through a bandwidth cap', async () => {
    env.hub.addFault({ path: 'tokenizer.json', method: 'GET', action: { kind: 'throttle', bytesPerSec: 2_000_000 } });
    const f = await env.downloader().download({ ...W, path: 'tokenizer.json' });
    expect(f.sha256).toBe(env.sha(env.files.tokenizer));
  });

  it('refuses up front a file whose Hub sha256 differs from the catalog pin, without a GET', async () => {
    const err = await env.downloader().download({ ...W, sha256: 'a'.repeat(64) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E108' });
    expect(cdnGets()).toEqual([]);
  });

  it('refuses a size the catalog does not expect with EMB-E109, and a file larger than the free disk with EMB-E110', async () => {
    expect(await env.downloader().download({ ...W, size: 5 }).catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E109' });
    env.hub.addFault({ origin: 'hub', method: 'HEAD', action: { kind: 'lie-size', size: 2 ** 49 } });
    const err = await env.downloader().download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E110', details: { needBytes: 2 ** 49 } });
    expect(cdnGets()).toEqual([]);
  });

  it('a disk that fills up during the download fails with EMB-E110', async () => {
    // The partial file points at /dev/full, where every write fails with ENOSPC.
    await mkdir(blobsDir(), { recursive: true });
    await symlink('/dev/full', join(blobsDir(), `${env.sha(env.files.weights)}.modelbay.incomplete`));
    const err = await env.downloader().download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E110' });
    expect(existsSync(join(blobsDir(), env.sha(env.files.weights)))).toBe(false);
  });

  it('sends the token to the Hub host and never to the CDN', async () => {
    const f = await env.downloader({ token: GOOD_TOKEN }).download({ ...W, repo: GATED });
    expect(f.sha256).toBe(env.sha(env.files.weights));
    const hubAuth = env.hub.log.filter((r) => r.origin === 'hub').map((r) => r.auth);
    expect(hubAuth.length).toBeGreaterThan(0);
    expect(hubAuth.every((a) => a === `Bearer ${GOOD_TOKEN}`)).toBe(true);
    expect(env.hub.cdnAuthorizations.length).toBeGreaterThan(0);
    expect(env.hub.cdnAuthorizations.every((a) => a === null)).toBe(true);
  });

  it('refuses etags and commits from the server that would escape the cache; nothing written outside', async () => {
    const outside = join(env.cacheDir, '..');
    const before = await readdir(outside);
    const hostile: Array<Record<string, string>> = [{ 'X-Linked-Etag': '"../../../../escaped"' }, { 'X-Linked-Etag': '"/tmp/escaped"' }, { 'X-Repo-Commit': '../../../escaped' }];
    for (const set of hostile) {
      env.hub.addFault({ origin: 'hub', method: 'HEAD', action: { kind: 'headers', set } });
      expect(await env.downloader().download(W).catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E111' });
    }
    expect(await readdir(outside)).toEqual(before);
    expect(cdnGets()).toEqual([]);
  });

  it('refuses request paths that leave the repository', async () => {
    for (const path of ['../x', '/etc/passwd', 'a/../../b', 'C:/x']) {
      expect(await env.downloader().download({ ...W, path }).catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E111' });
    }
    expect(env.hub.log).toEqual([]);
  });

  it('marks a missing file in .no_exist and fails with EMB-E105', async () => {
    const err = await env.downloader().download({ ...W, path: 'nope.onnx' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E105' });
    expect(existsSync(join(env.cacheDir, 'models--org--model', '.no_exist', commitSha(MODEL, 1), 'nope.onnx'))).toBe(true);
  });

  it('offline: serves a cached file from refs and snapshots, fails fast with EMB-E112 otherwise', async () => {
    await env.downloader().download(W);
    env.hub.clearLog();
    const off = env.downloader({ offline: true });
    const f = await off.download(W);
    expect(f).toMatchObject({ reused: true, commit: commitSha(MODEL, 1), sha256: env.sha(env.files.weights), verifiedBy: 'lfs' });
    expect(await off.download({ ...W, path: 'config.json' }).catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E112' });
    expect(env.hub.log).toEqual([]);
  });

  it('falls back to the cached file when the Hub cannot be reached', async () => {
    await env.downloader().download(W);
    env.hub.addFault({ origin: 'hub', times: Infinity, action: { kind: 'drop', afterBytes: 0 } });
    const f = await env.downloader({ retries: 1 }).download(W);
    expect(f.reused).toBe(true);
  });
});
