/**
 * Pause/resume, cancel, restarts after SIGKILL, one writer per partial file, parallel
 * Range parts, and the concurrency limit.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileProgressUpdate } from '../../../../src/main/core/artifacts/transfer/downloader.js';
import { MODEL, startEnv, type HubTestEnv } from './hub-test-env.js';

const W = { repo: MODEL, revision: 'main', path: 'model.onnx' };
const CHILD = fileURLToPath(new URL('./download-child.ts', import.meta.url));

describe('Downloader: resume, locks, parts, concurrency', () => {
  let env: HubTestEnv;
  beforeEach(async () => { env = await startEnv(); });
  afterEach(async () => { await env.close(); });

  const blobsDir = (): string => join(env.cacheDir, 'models--org--model', 'blobs');
  const partial = (): string => join(blobsDir(), `${env.sha(env.files.weights)}.modelbay.incomplete`);
  const cdnGets = (): Array<string | null> => env.hub.log.filter((r) => r.origin === 'cdn' && r.method === 'GET').map((r) => r.range);
  const slowCdn = (bytesPerSec = 3_000_000): void => env.hub.addFault({ origin: 'cdn', times: 1, action: { kind: 'throttle', bytesPerSec } });

  /** Abort once this many bytes have arrived. */
  const abortAfter = (bytes: number): { signal: AbortSignal; onProgress: (p: FileProgressUpdate) => void } => {
    const ac = new AbortController();
    return { signal: ac.signal, onProgress: (p) => { if (p.bytes >= bytes) ac.abort(); } };
  };

  it('pause keeps the partial data (EMB-E114); resume asks for the rest with the right Range', async () => {
    slowCdn();
    const d = env.downloader();
    const err = await d.download(W, abortAfter(600_000)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E114' });
    const kept = (await stat(partial())).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(env.files.weights.length);
    const phases: string[] = [];
    const f = await d.download(W, { onProgress: (p) => phases.push(p.phase) });
    expect(f.sha256).toBe(env.sha(env.files.weights));
    expect(cdnGets()).toEqual([null, `bytes=${kept}-`]);
    expect(phases[0]).toBe('resolving');
    expect(phases.at(-1)).toBe('done');
    expect(phases).toContain('verifying');
  });

  it('a partial holding the whole file (killed before the rename) is verified without downloading', async () => {
    await mkdir(blobsDir(), { recursive: true });
    await writeFile(partial(), env.files.weights);
    const f = await env.downloader().download(W);
    expect(f).toMatchObject({ sha256: env.sha(env.files.weights), reused: false });
    expect(cdnGets()).toEqual([]);
  });

  it('a 416 to the resume Range (the file is shorter than announced) fails with EMB-E109, nothing kept', async () => {
    env.hub.addFault({ origin: 'hub', method: 'HEAD', times: Infinity, action: { kind: 'lie-size', size: env.files.weights.length + 50 } });
    await mkdir(blobsDir(), { recursive: true });
    await writeFile(partial(), env.files.weights);
    expect(await env.downloader().download(W).catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E109' });
    expect(env.hub.log.filter((r) => r.origin === 'cdn').map((r) => [r.range, r.status])).toEqual([
      [`bytes=${env.files.weights.length}-`, 416],
      // The retry from zero gets the whole (short) body, asks for the rest, and is refused again.
      [null, 200], [`bytes=${env.files.weights.length}-`, 416],
    ]);
    expect(await readdir(blobsDir())).toEqual([]);
  });

  it('a resumed prefix is hashed again: a corrupt one is caught and the file redone from zero', async () => {
    await mkdir(blobsDir(), { recursive: true });
    const bad = Buffer.from(env.files.weights.subarray(0, 1_000_000));
    bad[10] = (bad[10] ?? 0) ^ 1;
    await writeFile(partial(), bad);
    const f = await env.downloader().download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    expect(cdnGets()).toEqual(['bytes=1000000-', null]);
  });

  it('a partial longer than the file is thrown away, not trusted', async () => {
    await mkdir(blobsDir(), { recursive: true });
    await writeFile(partial(), Buffer.concat([env.files.weights, Buffer.alloc(10)]));
    const f = await env.downloader().download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    expect(cdnGets()).toEqual([null]);
  });

  it('cancel: discardPartial deletes the partial data', async () => {
    slowCdn();
    const d = env.downloader();
    await d.download(W, abortAfter(300_000)).catch(() => undefined);
    expect(existsSync(partial())).toBe(true);
    await d.discardPartial(W);
    expect(existsSync(partial())).toBe(false);
    const f = await d.download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    expect(cdnGets().at(-1)).toBeNull();
  });

  it('a second writer on the same partial file fails with EMB-E113 while the first runs; never a shared partial', async () => {
    slowCdn(2_000_000);
    const first = env.downloader().download(W);
    // Wait until the first holds the lock and writes.
    while (!existsSync(partial())) await new Promise((r) => setTimeout(r, 10));
    const second = await env.downloader().download(W).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'EMB-E113', details: { pid: process.pid } });
    expect((await first).sha256).toBe(env.sha(env.files.weights));
    // Once the first finished, the second finds the verified blob.
    expect(await env.downloader().download(W)).toMatchObject({ reused: true });
    expect(cdnGets()).toHaveLength(1);
  });

  it('two downloads of one blob in the same Downloader wait for each other instead of failing', async () => {
    slowCdn();
    const d = env.downloader();
    const [a, b] = await Promise.all([d.download(W), d.download(W)]);
    expect([a.reused, b.reused].sort()).toEqual([false, true]);
    expect(cdnGets()).toHaveLength(1);
  });

  it('takes over a lock left by a dead process', async () => {
    const lockDir = join(env.cacheDir, '.locks', 'models--org--model');
    await mkdir(lockDir, { recursive: true });
    // pid 2^22+ is above Linux's pid_max default: no such process.
    await writeFile(join(lockDir, `${env.sha(env.files.weights)}.modelbay.lock`), JSON.stringify({ pid: 4_194_999, host: hostname(), nonce: 'dead', at: 0 }));
    const f = await env.downloader().download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    expect(await readdir(lockDir)).toEqual([]);
  });

  it('a process killed with SIGKILL mid-download resumes after restart from its partial file', async () => {
    slowCdn(1_000_000);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, env.cacheDir, env.hub.endpoint, MODEL, 'model.onnx'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    for await (const line of createInterface({ input: child.stdout })) {
      const p = JSON.parse(line) as { bytes?: number };
      if ((p.bytes ?? 0) >= 400_000) { child.kill('SIGKILL'); break; }
    }
    expect(await exited).toBe('SIGKILL');
    const kept = (await stat(partial())).size;
    expect(kept).toBeGreaterThan(0);
    const f = await env.downloader().download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    expect(env.sha(await readFile(f.blobPath))).toBe(env.sha(env.files.weights));
    const resumed = cdnGets().at(-1) ?? '';
    expect(Number(/^bytes=(\d+)-$/.exec(resumed)?.[1])).toBe(kept);
    expect(kept).toBeGreaterThan(0);
  });

  it('downloads large files as parallel Range parts and verifies them', async () => {
    const f = await env.downloader({ parallelParts: { minBytes: 1 << 20, parts: 3 } }).download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    const size = env.files.weights.length;
    const per = Math.ceil(size / 3);
    expect(cdnGets().sort()).toEqual([`bytes=0-${per - 1}`, `bytes=${per}-${2 * per - 1}`, `bytes=${2 * per}-${size - 1}`].sort());
    expect((await readdir(blobsDir())).sort()).toEqual([env.sha(env.files.weights)]);
  });

  it('parts: a dropped part resumes alone; a part that fails every time fails the file with its code', async () => {
    env.hub.addFault({ origin: 'cdn', path: 'X-Amz', times: 1, action: { kind: 'drop', afterBytes: 100_000 } });
    const d = env.downloader({ parallelParts: { minBytes: 1 << 20, parts: 3 } });
    expect((await d.download(W)).sha256).toBe(env.sha(env.files.weights));
    expect(cdnGets()).toHaveLength(4);
    const per = Math.ceil(env.files.weights.length / 3);
    const starts = cdnGets().map((r) => Number(/^bytes=(\d+)-/.exec(r ?? '')?.[1]));
    // Exactly one part was asked again, from where its connection dropped.
    expect(starts.filter((s) => s % per === 100_000)).toHaveLength(1);

    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'status', status: 500 } });
    const err = await env.downloader({ parallelParts: { minBytes: 1 << 20, parts: 3 }, retries: 2 }).download({ ...W, path: 'onnx/model.onnx_data' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E116', details: { status: 500 } });
    expect((await readdir(blobsDir())).filter((n) => n.startsWith(env.sha(env.files.data)) && !n.includes('modelbay'))).toEqual([]);
  });

  it('parts: a part refused by an expired CDN URL gets a fresh URL from the Hub', async () => {
    env.hub.addFault({ origin: 'cdn', after: 1, action: { kind: 'status', status: 403 } });
    const f = await env.downloader({ parallelParts: { minBytes: 1 << 20, parts: 3 } }).download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    expect(env.hub.log.filter((r) => r.method === 'HEAD')).toHaveLength(2);
    expect(env.hub.log.filter((r) => r.origin === 'cdn').map((r) => r.status).sort()).toEqual([206, 206, 206, 403]);
  });

  it('parts: a server that ignores Range falls back to one stream from zero', async () => {
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'ignore-range' } });
    const f = await env.downloader({ parallelParts: { minBytes: 1 << 20, parts: 3 } }).download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    expect(cdnGets().at(-1)).toBeNull();
    expect((await readdir(blobsDir())).sort()).toEqual([env.sha(env.files.weights)]);
  });

  it('parts: a corrupt part is caught by the hash, redone from zero, and never reaches blobs/', async () => {
    // Every part of the first round carries the fault; only the one covering the offset flips.
    env.hub.addFault({ origin: 'cdn', times: 3, action: { kind: 'flip', offset: 2_500_000 } });
    const f = await env.downloader({ parallelParts: { minBytes: 1 << 20, parts: 3 } }).download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    expect(cdnGets()).toHaveLength(6);
  });

  it('parts: pause saves each part\'s progress; resume asks each part for its remainder only', async () => {
    env.hub.addFault({ origin: 'cdn', times: 3, action: { kind: 'throttle', bytesPerSec: 1_000_000 } });
    const d = env.downloader({ parallelParts: { minBytes: 1 << 20, parts: 3 } });
    expect(await d.download(W, abortAfter(900_000)).catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E114' });
    const saved = JSON.parse(await readFile(join(blobsDir(), `${env.sha(env.files.weights)}.modelbay.parts.json`), 'utf8')) as { parts: Array<{ start: number; done: number }> };
    expect(saved.parts.some((p) => p.done > 0)).toBe(true);
    env.hub.clearLog();
    const f = await d.download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    const expected = saved.parts.map((p) => p.start + p.done);
    const asked = cdnGets().map((r) => Number(/^bytes=(\d+)-/.exec(r ?? '')?.[1]));
    expect(asked.sort((a, b) => a - b)).toEqual(expected.filter((s, i) => {
      const p = saved.parts[i];
      const next = saved.parts[i + 1]?.start ?? env.files.weights.length;
      return p !== undefined && s < next;
    }).sort((a, b) => a - b));
  });

  it('growing parts: one part first, then the largest remainder split in two while parts pay; the bytes verify', async () => {
    const size = env.files.weights.length;
    // 1 MB/s per connection: every part adds as much again, so growth goes on to the maximum.
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'throttle', bytesPerSec: 1_000_000 } });
    const grow = { everyMs: 50, minGain: 0.1, minPartBytes: 256 * 1024 };
    const f = await env.downloader({ parallelParts: { minBytes: 1 << 20, parts: 3, grow } }).download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    const gets = cdnGets();
    expect(gets[0]).toBe(`bytes=0-${size - 1}`);
    // The first decision always tries a second part; the maximum is never passed.
    expect(f.parts).toBeGreaterThanOrEqual(2);
    expect(f.parts).toBeLessThanOrEqual(3);
    const ranges = gets.slice(1).map((r) => /^bytes=(\d+)-(\d+)$/.exec(r ?? '')).map((m) => [Number(m?.[1]), Number(m?.[2])] as const);
    expect(ranges.length).toBeGreaterThanOrEqual(1);
    for (const [start, end] of ranges) {
      // Each new part is the upper half of a remainder: at least the minimum, and it ends where its parent ended.
      expect(end - start + 1).toBeGreaterThanOrEqual(grow.minPartBytes);
      expect(end === size - 1 || ranges.some(([s]) => s === end + 1)).toBe(true);
    }
    expect((await readdir(blobsDir())).sort()).toEqual([env.sha(env.files.weights)]);
  });

  it('growing parts: pause saves the parts split so far; resume asks each for its remainder only', async () => {
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'throttle', bytesPerSec: 1_000_000 } });
    const grow = { everyMs: 50, minGain: 0.1, minPartBytes: 256 * 1024 };
    const d = env.downloader({ parallelParts: { minBytes: 1 << 20, parts: 3, grow } });
    expect(await d.download(W, abortAfter(1_200_000)).catch((e: unknown) => e)).toMatchObject({ code: 'EMB-E114' });
    const saved = JSON.parse(await readFile(join(blobsDir(), `${env.sha(env.files.weights)}.modelbay.parts.json`), 'utf8')) as { parts: Array<{ start: number; end: number; done: number }> };
    expect(saved.parts.length).toBeGreaterThanOrEqual(2);
    // The saved parts tile the file.
    expect(saved.parts[0]?.start).toBe(0);
    for (let i = 1; i < saved.parts.length; i++) expect(saved.parts[i]?.start).toBe((saved.parts[i - 1]?.end ?? NaN) + 1);
    expect(saved.parts.at(-1)?.end).toBe(env.files.weights.length - 1);
    env.hub.clearLog();
    env.hub.clearFaults();
    const f = await d.download(W);
    expect(f.sha256).toBe(env.sha(env.files.weights));
    const asked = cdnGets().map((r) => Number(/^bytes=(\d+)-/.exec(r ?? '')?.[1])).sort((a, b) => a - b);
    const unfinished = saved.parts.filter((p) => p.done < p.end - p.start + 1).map((p) => p.start + p.done);
    // Unthrottled, the resumed parts may still split: every saved remainder is asked for, and nothing before it.
    for (const from of unfinished) expect(asked).toContain(from);
    for (const from of asked) expect(saved.parts.some((p) => from >= p.start + p.done && from <= p.end)).toBe(true);
  });

  it('never runs more files at once than the concurrency limit; the others report queued', async () => {
    env.hub.addFault({ origin: 'cdn', times: Infinity, action: { kind: 'throttle', bytesPerSec: 20_000_000 } });
    const d = env.downloader({ concurrency: 1 });
    const phases = new Map<string, string[]>();
    const track = (path: string) => ({ onProgress: (p: FileProgressUpdate) => { phases.set(path, [...(phases.get(path) ?? []), p.phase]); } });
    let active = 0;
    let peak = 0;
    const one = async (path: string): Promise<void> => {
      await d.download({ ...W, path }, {
        onProgress: (p) => {
          track(path).onProgress(p);
          if (p.phase === 'resolving') { active += 1; peak = Math.max(peak, active); }
          if (p.phase === 'done') active -= 1;
        },
      });
    };
    await Promise.all([one('model.onnx'), one('onnx/model.onnx_data'), one('tokenizer.json')]);
    expect(peak).toBe(1);
    expect(phases.get('onnx/model.onnx_data')?.[0]).toBe('queued');
    expect(phases.get('tokenizer.json')?.[0]).toBe('queued');
  });
});
