/**
 * One stream into the partial file, resuming with `Range: bytes=N-`. The bytes kept on
 * disk are the only progress that counts (issue #10): a 200 to a Range starts the file
 * over, so the retry policy is told how far the kept bytes reach, never how many
 * arrived. Encoded answers are decoded or refused (content-decoding.ts), and each
 * attempt must stay above the low-speed limit.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { BlobHasher, type BlobDigest } from './blob-hasher.js';
import { contentEncodings, decodedBody, undecodable } from '../hub/content-decoding.js';
import { contentRange, dropBody, type HubResponse } from '../hub/hub-client.js';
import { LowSpeedGuard, type LowSpeedLimit } from '../hub/low-speed.js';
import { TailHasher } from './tail-hasher.js';
import { cancelled, closedEarly, hungUp, tooSlow, unsupportedEncoding } from '../hub/transfer-errors.js';

/** How a single stream is hashed: inline on arriving chunks, or by a worker reading behind the writes. */
export interface StreamHash {
  chunk(c: Buffer): void;
  /** Bytes [0, n) are on disk. */
  written(n: number): void;
  /** A resumed prefix of `n` bytes already on disk. */
  prefix(path: string, n: number): Promise<void>;
  /** Forget everything: the file starts over (call before truncating it). */
  restart(): Promise<void>;
  digest(size: number): Promise<BlobDigest>;
  close(): Promise<void>;
}

export function inlineHash(gitSize: number | null): StreamHash {
  let h = new BlobHasher(gitSize);
  return {
    chunk: (c) => h.update(c),
    written: () => undefined,
    prefix: (path, n) => h.updateFromFile(path, 0, n),
    restart: () => { h = new BlobHasher(gitSize); return Promise.resolve(); },
    digest: () => Promise.resolve(h.digest()),
    close: () => Promise.resolve(),
  };
}

export function workerHash(path: string, gitSize: number | null): StreamHash {
  let t = new TailHasher(path, gitSize);
  return {
    chunk: () => undefined,
    written: (n) => t.advance(n),
    prefix: (_path, n) => { t.advance(n); return Promise.resolve(); },
    restart: async () => { await t.close(); t = new TailHasher(path, gitSize); },
    digest: (size) => t.digest(size),
    close: () => t.close(),
  };
}

/** Bytes gathered before one write: fewer syscalls, and the hash runs on arriving chunks meanwhile. */
const WRITE_BATCH = 1 << 20;
/** A slow transfer still reaches the disk this often, so a killed process loses little. */
const WRITE_EVERY_MS = 250;

export interface StreamContext {
  /** GET from `start` (the downloader's fetch, which renews an expired CDN URL). */
  fetch: (start: number) => Promise<HubResponse>;
  /** The URL bytes come from, for messages (it may be renewed). */
  url: () => string;
  size: number;
  partialPath: string;
  /** The repository path, for messages. */
  path: string;
  hash: StreamHash;
  signal: AbortSignal | undefined;
  /** Runs one attempt with the retry policy; `kept` says how far the bytes on disk reach. */
  retrying: (attempt: () => Promise<void>, kept: () => number) => Promise<void>;
  /** Told when bytes flow and how many of the file are present. */
  progress: { enter(phase: 'downloading'): void; bytes(n: number): void };
  lowSpeed: LowSpeedLimit | null;
  now: () => number;
  /** Turns a write failure into its own error (disk full, permissions), or null. */
  writeError: (err: unknown) => ModelbayError | null;
}


export async function streamTransfer(sc: StreamContext): Promise<BlobDigest> {
  const { size, hash, progress, signal } = sc;
  const fh: FileHandle = await open(sc.partialPath, 'a+');
  try {
    let offset = (await fh.stat()).size;
    if (offset > size) {
      await fh.truncate(0);
      offset = 0;
    }
    if (offset > 0) {
      // After a restart the prefix on disk is all we have: hash it again before appending.
      progress.enter('downloading');
      await hash.prefix(sc.partialPath, offset);
      progress.bytes(offset);
    }
    const restart = async (): Promise<void> => {
      await hash.restart();
      await fh.truncate(0);
      offset = 0;
    };
    let done = offset === size && size > 0;
    while (!done) {
      await sc.retrying(async () => {
        const res = await sc.fetch(offset).catch((err: unknown) => { throw hungUp(err, sc.url(), { received: offset, size, path: sc.path }); });
        const cr = res.status === 206 || res.status === 416 ? contentRange(res) : null;
        if (res.status === 416) {
          dropBody(res);
          if (offset === size) { done = true; return; }
          throw new ModelbayError('EMB-E109', `${sc.path}: the server's file is ${cr?.total ?? 'not'} ${cr?.total !== null ? 'bytes' : 'the announced size'}, the Hub announced ${size}.`, { expected: size, actual: cr?.total ?? null });
        }
        const encodings = contentEncodings(res);
        const bad = undecodable(encodings);
        if (bad !== null || (encodings.length > 0 && res.status === 206)) {
          dropBody(res);
          throw unsupportedEncoding(bad ?? encodings.join(', '), res.url, sc.path, res.status === 206);
        }
        if (res.status === 206) {
          if (!cr || cr.start !== offset || (cr.total !== null && cr.total !== size)) {
            dropBody(res);
            await restart();
            throw new ModelbayError('EMB-E107', 'The server answered a different range than asked; starting the file over.', { retryable: true, contentRange: res.headers['content-range'] ?? null });
          }
        } else if (offset > 0) {
          // A 200 to a Range is the whole file: start over, never append it to the prefix.
          await restart();
        }
        progress.enter('downloading');
        const guard = new LowSpeedGuard(sc.lowSpeed, sc.now);
        const startedAt = offset;
        let batch: Buffer[] = [];
        let batchBytes = 0;
        let writing: Promise<unknown> = Promise.resolve();
        let lastWrite = sc.now();
        const flush = (): Promise<unknown> => {
          lastWrite = sc.now();
          if (batchBytes === 0) return writing;
          const bufs = batch;
          const upto = offset;
          batch = [];
          batchBytes = 0;
          writing = writing.then(() => fh.writev(bufs)).then(() => hash.written(upto));
          // Awaited by the next flush or the finally below; never an unhandled rejection meanwhile.
          writing.catch(() => undefined);
          return writing;
        };
        const body = decodedBody(res, encodings);
        try {
          for await (const c of body) {
            const chunk = c as Buffer;
            if (offset + chunk.length > size) {
              dropBody(res);
              throw new ModelbayError('EMB-E109', `${sc.path}: the server sent more than the ${size} bytes the Hub announced${encodings.length > 0 ? ` (after decoding ${encodings.join(', ')})` : ''}.`, { expected: size });
            }
            hash.chunk(chunk);
            batch.push(chunk);
            batchBytes += chunk.length;
            offset += chunk.length;
            progress.bytes(offset);
            if (guard.tooSlow(offset - startedAt)) {
              dropBody(res);
              throw tooSlow(res.url, sc.lowSpeed?.limitBps ?? 0, sc.lowSpeed?.windowMs ?? 0, sc.path);
            }
            // Keep at most one write in flight so memory stays bounded.
            if (batchBytes >= WRITE_BATCH || sc.now() - lastWrite >= WRITE_EVERY_MS) {
              await writing;
              void flush();
            }
          }
        } catch (err) {
          if (signal?.aborted) throw cancelled();
          if (err instanceof ModelbayError) throw err;
          throw sc.writeError(err) ?? closedEarly(err, sc.url(), { received: offset, size, path: sc.path });
        } finally {
          body.destroy();
          // Bytes already hashed must reach the file, or the resume offset would lie.
          await flush();
        }
        if (offset < size) throw closedEarly(new Error('the body ended early'), sc.url(), { received: offset, size, path: sc.path });
        done = true;
      }, () => offset);
    }
    return await hash.digest(offset);
  } finally {
    await hash.close();
    await fh.close();
  }
}
