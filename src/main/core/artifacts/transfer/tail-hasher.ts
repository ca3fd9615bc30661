/**
 * SHA-256 (and git sha1) of a file being written, computed in a worker thread that reads
 * behind the writer. Receiving a large file and hashing it then run on two cores instead
 * of one: the bytes are hashed as they land, and the hash is ready moments after the last
 * write (bench:download). The worker only reads bytes the writer says are on disk.
 *
 * The worker is plain JavaScript evaluated from a string, so it needs no separate entry
 * in the build (electron-vite) or in tests (tsx).
 */
import { Worker } from 'node:worker_threads';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import type { BlobDigest } from './blob-hasher.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { path, gitSize } = workerData;
const fd = openSync(path, 'r');
const sha256 = createHash('sha256');
const sha1 = gitSize === null ? null : createHash('sha1').update('blob ' + gitSize + '\\0');
const buf = Buffer.allocUnsafe(8 << 20);
let hashed = 0, target = 0, finishAt = -1;
parentPort.on('message', (m) => {
  try {
    if (m.to > target) target = m.to;
    if (m.finish) finishAt = m.to;
    while (hashed < target) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, target - hashed), hashed);
      if (n === 0) throw new Error(path + ' ended at ' + hashed + ' bytes, expected ' + target);
      const chunk = buf.subarray(0, n);
      sha256.update(chunk);
      if (sha1) sha1.update(chunk);
      hashed += n;
    }
    if (finishAt >= 0 && hashed >= finishAt) {
      closeSync(fd);
      parentPort.postMessage({ size: hashed, sha256: sha256.digest('hex'), gitSha1: sha1 ? sha1.digest('hex') : null });
    }
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
});
`;

interface WorkerAnswer {
  size?: number;
  sha256?: string;
  gitSha1?: string | null;
  error?: string;
}

export class TailHasher {
  private readonly worker: Worker;
  private readonly answer: Promise<BlobDigest>;
  private finished = false;

  /** `gitSize`: compute the git blob sha1 for a file of this size; null skips it. */
  constructor(path: string, gitSize: number | null) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, gitSize } });
    this.answer = new Promise<BlobDigest>((resolveDigest, reject) => {
      this.worker.once('message', (m: WorkerAnswer) => {
        if (m.error !== undefined || m.sha256 === undefined || m.size === undefined) {
          reject(new ModelbayError('EMB-E500', `Hashing the download failed: ${m.error ?? 'no digest'}.`, {}));
        } else {
          resolveDigest({ size: m.size, sha256: m.sha256, gitSha1: m.gitSha1 ?? null });
        }
      });
      this.worker.once('error', (err) => reject(new ModelbayError('EMB-E500', `Hashing the download failed: ${err.message}.`, {})));
      this.worker.once('exit', () => reject(new ModelbayError('EMB-E500', 'The hashing worker stopped.', {})));
    });
    // Until someone awaits the digest, a failure must not be an unhandled rejection.
    this.answer.catch(() => undefined);
    this.worker.unref();
  }

  /** Bytes [0, to) are on disk: hash up to there. */
  advance(to: number): void {
    if (!this.finished && to > 0) this.worker.postMessage({ to });
  }

  /** The digest of the first `size` bytes, once hashed. */
  async digest(size: number): Promise<BlobDigest> {
    this.finished = true;
    this.worker.postMessage({ to: size, finish: true });
    try {
      return await this.answer;
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.finished = true;
    await this.worker.terminate();
  }
}
