/**
 * Issue #10: a hostile Hub must never make a download loop forever, stay "running" at a
 * trickle, or fail with a message that sends the user the wrong way; and a failed or
 * aborted download leaves the cache as huggingface_hub would.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GATED, MODEL, PLAIN_TOKEN, startEnv, type HubTestEnv } from './hub-test-env.js';
import { Downloader } from '../../../../src/main/core/artifacts/transfer/downloader.js';

const W = { repo: MODEL, revision: 'main', path: 'model.onnx' };
const TEXT = 'org/text';
/** Compressible: gzip makes it far smaller than announced. */
const COMPRESSIBLE = Buffer.from('0123456789abcdef'.repeat(200_000));

describe('Downloader against a hostile Hub', () => {
  let env: HubTestEnv;
  beforeEach(async () => {
    env = await startEnv();
    await env.hub.putRepo({ id: TEXT, commits: [{ files: [{ path: 'big.txt', content: COMPRESSIBLE, lfs: true }, { path: 'small.txt', content: COMPRESSIBLE.subarray(0, 100_000), lfs: false }] }] });
  });
  afterEach(async () => { await env.close(); });

  const blobsDir = (repo = 'models--org--model'): string => join(env.cacheDir, repo, 'blobs');
  const cdnGets = (): number => env.hub.log.filter((r) => r.origin === 'cdn' && r.method === 'GET').length;
  /** A sleep that gives up after many waits, so a retry loop fails the test instead of hanging it. */
  const boundedSleep = (): ((ms: number) => Promise<void>) => (ms: number) => {
    env.sleeps.push(ms);
    return env.sleeps.length > 40 ? Promise.reject(new Error('endless retry loop')) : Promise.resolve();
  };

  it('bytes thrown away do not count as progress: a server that ignores Range and drops every time fails after the retries', async () => {
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'drop', afterBytes: 1_000_000 } });
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'ignore-range' } });
    const err = await env.downloader({ retries: 3, sleep: boundedSleep() }).download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E121' });
    // The first drop kept new bytes; every later attempt only redid them.
    expect(env.sleeps.length).toBeLessThanOrEqual(4);
    expect(cdnGets()).toBeLessThanOrEqual(5);
  });

  it('a gzipped 200 to a Range is decoded, checked on the decoded bytes and kept; never looped', async () => {
    env.hub.addFault({ origin: 'cdn', action: { kind: 'drop', afterBytes: 300_000 } });
    env.hub.addFault({ origin: 'cdn', after: 1, times: Infinity, action: { kind: 'encode', encoding: 'gzip' } });
    const f = await env.downloader({ sleep: boundedSleep() }).download({ repo: TEXT, revision: 'main', path: 'big.txt' });
    expect(f.sha256).toBe(env.sha(COMPRESSIBLE));
    expect(env.sha(await readFile(f.snapshotPath))).toBe(env.sha(COMPRESSIBLE));
    expect(cdnGets()).toBe(2);
  });

  it('br and deflate bodies of a regular file are decoded and pass the git sha1', async () => {
    for (const encoding of ['br', 'deflate']) {
      env.hub.addFault({ origin: 'hub', method: 'GET', action: { kind: 'encode', encoding } });
      const d = new Downloader({ cacheDir: join(env.cacheDir, encoding), endpoint: env.hub.endpoint, token: null, sleep: boundedSleep() });
      const f = await d.download({ repo: TEXT, revision: 'main', path: 'small.txt' });
      expect(env.sha(await readFile(f.snapshotPath))).toBe(env.sha(COMPRESSIBLE.subarray(0, 100_000)));
    }
  });

  it('an encoding it cannot decode is refused with its own code after one GET, and says which', async () => {
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'encode', encoding: 'x-squash' } });
    const err = await env.downloader({ sleep: boundedSleep() }).download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E119', details: { encoding: 'x-squash' } });
    expect((err as Error).message).toContain('x-squash');
    expect((err as Error).message).not.toMatch(/sent more than/);
    expect(cdnGets()).toBe(1);
    expect(env.sleeps).toEqual([]);
  });

  it('below the low-speed floor for the window, an attempt fails; retries stay bounded; a clear error follows', async () => {
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'throttle', bytesPerSec: 2_000 } });
    const err = await env.downloader({ retries: 2, sleep: boundedSleep(), lowSpeed: { limitBps: 1 << 20, windowMs: 300 } }).download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E120', details: { limitBps: 1 << 20, windowSeconds: 0.3, attempts: 3 } });
    expect((err as Error).message).toMatch(/below 1\.0 MiB\/s for 0\.3 s/);
    expect(env.sleeps).toHaveLength(2);
  });

  it('a connection the server closes early says so, not "could not reach"', async () => {
    env.hub.addFault({ origin: 'cdn', action: { kind: 'drop', afterBytes: 1000 } });
    const err = await env.downloader({ retries: 0, sleep: boundedSleep() }).download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E121', details: { host: new URL(env.hub.cdnOrigin).host, received: 1000 } });
    expect((err as Error).message).toMatch(/closed the connection after 1000 of/);
    expect((err as Error).message).not.toMatch(/Could not reach/);
    env.hub.addFault({ origin: 'cdn', action: { kind: 'drop', afterBytes: 1000 } });
    const notices: string[] = [];
    await env.downloader({ sleep: boundedSleep() }).download(W, { onProgress: (u) => { if (u.retry) notices.push(`${u.retry.code} ${u.retry.message}`); } });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^EMB-E121 .*closed the connection/);
  });

  it('a redirect loop has its own message, for the metadata and for the bytes', async () => {
    env.hub.addFault({ origin: 'hub', method: 'HEAD', times: Infinity, action: { kind: 'redirect-loop' } });
    const head = await env.downloader().download(W).catch((e: unknown) => e);
    expect(head).toMatchObject({ code: 'EMB-E122' });
    expect((head as Error).message).toMatch(/redirect/i);
    expect((head as Error).message).not.toMatch(/ETag|commit/);
    env.hub.clearFaults();
    env.hub.addFault({ origin: 'cdn', method: 'GET', times: Infinity, action: { kind: 'redirect-loop' } });
    const get = await env.downloader().download(W).catch((e: unknown) => e);
    expect(get).toMatchObject({ code: 'EMB-E122', details: { host: new URL(env.hub.cdnOrigin).host } });
  });

  it('a gated repo names the endpoint actually used and carries the Hub\'s own message', async () => {
    const err = await env.downloader({ token: PLAIN_TOKEN }).download({ ...W, repo: GATED }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E102', details: { endpoint: env.hub.endpoint } });
    const message = (err as Error).message;
    expect(message).toContain(`${env.hub.endpoint}/${GATED}`);
    // Our own words point at the endpoint in use; the Hub's quoted message may name its own site.
    expect(message.slice(0, message.indexOf('The Hub ('))).not.toContain('huggingface.co');
    expect(message).toContain('you are not in the authorized list');
  });

  it('every Hub error carries the endpoint used and the Hub\'s message', async () => {
    env.hub.addFault({ origin: 'hub', method: 'HEAD', action: { kind: 'status', status: 418, errorMessage: 'Teapot says no' } });
    const err = await env.downloader().download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E116', details: { endpoint: env.hub.endpoint, hubMessage: 'Teapot says no' } });
    expect((err as Error).message).toContain('Teapot says no');
  });

  it('a failed download leaves no 0-byte partial, and the repo folder has snapshots/ beside blobs/', async () => {
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'status', status: 500 } });
    const err = await env.downloader({ retries: 1 }).download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E116' });
    expect(existsSync(blobsDir()) ? await readdir(blobsDir()) : []).toEqual([]);
    const repoDir = join(env.cacheDir, 'models--org--model');
    if (existsSync(repoDir)) expect(await readdir(repoDir)).toContain('snapshots');
  });

  it('an aborted download before any byte leaves no 0-byte partial', async () => {
    env.hub.addFault({ origin: 'cdn', action: { kind: 'stall', afterBytes: 0 } });
    const ac = new AbortController();
    const d = env.downloader({ idleTimeoutMs: 60_000 });
    const p = d.download(W, { signal: ac.signal, onProgress: (u) => { if (u.phase === 'downloading') ac.abort(); } }).catch((e: unknown) => e);
    // The stall fault answers headers and then nothing: wait for its GET, then abort.
    for (let i = 0; i < 200 && cdnGets() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    expect(await p).toMatchObject({ code: 'EMB-E114' });
    const names = existsSync(blobsDir()) ? await readdir(blobsDir()) : [];
    expect(names.filter((n) => n.endsWith('.incomplete'))).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('a cache folder where folders cannot be made (/proc/self) fails at once with EMB-E123; nothing keeps spinning', async () => {
    const d = new Downloader({ cacheDir: '/proc/self', endpoint: env.hub.endpoint, token: null });
    const err = await d.download(W).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E123' });
    expect((err as Error).message).toContain('/proc/self');
  }, 20_000);
});
