import { mkdtemp, readFile, rm, writeFile, utimes } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriterLock } from '../../../../../src/main/core/artifacts/transfer/writer-lock.js';

describe('WriterLock', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'modelbay-lock-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('holds pid and host; a second taker gets EMB-E113 naming the holder; release frees it', async () => {
    const path = join(dir, 'sub', 'x.lock');
    const a = await WriterLock.acquire(path, 'file');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    const err = await WriterLock.acquire(path, 'model.onnx').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E113', details: { pid: process.pid, host: hostname() } });
    expect((err as Error).message).toMatch(/model\.onnx is being downloaded by process/);
    await a.release();
    const b = await WriterLock.acquire(path, 'file');
    await b.release();
  });

  it('takes over a lock of a dead pid on this host, never one from another host', async () => {
    const path = join(dir, 'x.lock');
    await writeFile(path, JSON.stringify({ pid: 4_194_999, host: hostname(), nonce: 'n', at: 0 }));
    const a = await WriterLock.acquire(path, 'file');
    await a.release();
    await writeFile(path, JSON.stringify({ pid: 4_194_999, host: 'another-host', nonce: 'n', at: 0 }));
    expect(await WriterLock.acquire(path, 'file').catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E113', details: { host: 'another-host' } });
  });

  it('treats an unreadable lock as busy while young and stale once old', async () => {
    const path = join(dir, 'x.lock');
    await writeFile(path, '');
    expect(await WriterLock.acquire(path, 'file').catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E113' });
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const a = await WriterLock.acquire(path, 'file');
    await a.release();
  });

  it('release leaves alone a lock that is no longer ours', async () => {
    const path = join(dir, 'x.lock');
    const a = await WriterLock.acquire(path, 'file');
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'someone-else', at: 0 }));
    await a.release();
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ nonce: 'someone-else' });
    expect(await WriterLock.clearStale(path)).toBe(false);
  });
});

describe('WriterLock: a reused pid cannot hold a stale lock (issue #10)', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'modelbay-lock-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('records the holder\'s process start time', async () => {
    const path = join(dir, 'x.lock');
    const a = await WriterLock.acquire(path, 'file');
    const info = JSON.parse(await readFile(path, 'utf8')) as { start: unknown };
    await a.release();
    if (process.platform === 'linux') expect(info.start).toMatch(/^\d+$/);
  });

  it.runIf(process.platform === 'linux')('takes over a lock whose pid is alive but started after the lock was written (a reused pid)', async () => {
    const path = join(dir, 'x.lock');
    // Our own pid is alive: only the start time tells that the writer was another process.
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'old', at: 0, start: '1' }));
    const a = await WriterLock.acquire(path, 'file');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid, nonce: a.info.nonce });
    await a.release();
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'old', at: 0, start: '1' }));
    expect(await WriterLock.clearStale(path)).toBe(true);
  });

  it('a lock of a live process with its true start time stays busy', async () => {
    const path = join(dir, 'x.lock');
    const a = await WriterLock.acquire(path, 'file');
    expect(await WriterLock.acquire(path, 'file').catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E113' });
    expect(await WriterLock.clearStale(path)).toBe(false);
    await a.release();
  });
});
