/**
 * Puts one Hub file into the standard HF cache, verified (issue #3):
 *
 *   resolve (HEAD) → reuse a blob already present → lock → stream into a partial file with
 *   SHA-256 (and git sha1) computed as bytes arrive, resuming with Range → check size and
 *   hash → atomic rename into blobs/ → snapshot symlink (copy fallback) → refs.
 *
 * A blob only ever appears in blobs/ after its bytes matched the catalog's sha256, the
 * Hub's LFS sha256 or the git sha1 — never a corrupt or unverified one. Aborting keeps the
 * partial data: pause is abort, resume is calling again. The Hub protocol itself is in hub-client.ts.
 *
 * The bytes themselves (socket → partial file → hash) run in the download worker
 * (byte-thread.ts): this thread only sees progress and the digest, so a 1 GiB download
 * does not hold up the app's event loop.
 */
import { rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ModelbayError, toModelbayError } from '../../../../shared/errors/errors.js';
import { SHA256_RE } from '../../../../shared/values/values.js';
import { KeyedQueue, Semaphore } from '../../async/queues.js';
import { hashFile, type BlobDigest } from './blob-hasher.js';
import { runBytePath, type ByteJob, type ByteRunner, type ParallelParts } from './byte-path.js';
import { byteThread, defaultByteWorker, type ByteWorkerEntry } from './byte-thread.js';
import { fileSize, fromCache, linkSnapshot, markMissing, mismatch, verifiedBy, writeAtomic, type DownloadedFile, type FileRequest } from './cache-entries.js';
import { ProgressReporter, type FileProgressUpdate } from './download-progress.js';
import { assertRepoId, assertRepoPath, assertRevision, HubCacheLayout } from '../cache/hf-cache-layout.js';
import { HubClient, type FileMetadata } from '../hub/hub-client.js';
import type { LowSpeedLimit } from '../hub/low-speed.js';
import { checkDiskSpace, diskFull, dropEmptyPartial } from './partial-file.js';
import { abortableSleep, withRetries, type RetryPolicy } from '../hub/retry-policy.js';
import { cancelled, permissionDenied } from '../hub/transfer-errors.js';
import { makeDirs } from '../../fs/make-dirs.js';
import { WriterLock } from './writer-lock.js';

export type { FileProgressUpdate } from './download-progress.js';
export type { DownloadedFile, FileRequest } from './cache-entries.js';

/** What the artifact manager needs of the downloader, so tests can hand in a scripted one. */
export type DownloaderPort = Pick<Downloader, 'configure' | 'download' | 'discardPartial'>;

export interface DownloaderOptions {
  cacheDir: string;
  endpoint: string;
  token: string | null;
  offline?: boolean;
  /** Files downloading at once (default 3). */
  concurrency?: number;
  /** Retries after a transient failure without progress (default 5). */
  retries?: number;
  /** Default 1000 / 8000 ms, with jitter. */
  backoffMs?: { initial: number; max: number };
  /** No bytes for this long → retry (default 10 s). */
  idleTimeoutMs?: number;
  /** Range parts for large files; null or absent = one stream. */
  parallelParts?: ParallelParts | null;
  /** curl's --speed-limit/--speed-time per attempt; null or absent = no floor. */
  lowSpeed?: LowSpeedLimit | null;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Files from this size are hashed in a worker thread reading behind the writer (default 16 MiB). */
  hashInWorkerMinBytes?: number;
  /**
   * Where the byte path runs: the download worker built from this entry (default: the one
   * beside these sources, byte-thread.ts), or null for this thread.
   */
  worker?: ByteWorkerEntry | null;
}

export class Downloader {
  private layout: HubCacheLayout;
  private readonly client: HubClient;
  private offline: boolean;
  /** Files downloading at once; the limit follows the settings live. */
  private readonly gate: Semaphore;
  private readonly retries: number;
  private readonly backoff: { initial: number; max: number };
  private readonly idleTimeoutMs: number;
  private parallelParts: ParallelParts | null;
  private lowSpeed: LowSpeedLimit | null;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly hashInWorkerMinBytes: number;
  private readonly bytePath: ByteRunner;
  private readonly blobQueue = new KeyedQueue();
  /** Etag of each file seen this run, so discardPartial finds the partial without the network. */
  private readonly etags = new Map<string, string>();

  constructor(options: DownloaderOptions) {
    this.layout = new HubCacheLayout(options.cacheDir);
    this.offline = options.offline ?? false;
    this.client = new HubClient({ endpoint: options.endpoint, token: options.token, offline: this.offline, timeoutMs: options.idleTimeoutMs ?? 10_000 });
    this.gate = new Semaphore(Math.max(1, Math.floor(options.concurrency ?? 3)));
    this.retries = options.retries ?? 5;
    this.backoff = options.backoffMs ?? { initial: 1000, max: 8000 };
    this.idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
    this.parallelParts = options.parallelParts ?? null;
    this.lowSpeed = options.lowSpeed ?? null;
    this.sleep = options.sleep ?? abortableSleep;
    this.now = options.now ?? Date.now;
    this.hashInWorkerMinBytes = options.hashInWorkerMinBytes ?? 16 << 20;
    const worker = options.worker === undefined ? defaultByteWorker() : options.worker;
    this.bytePath = worker === null ? runBytePath : byteThread(worker);
  }

  configure(partial: Partial<Pick<DownloaderOptions, 'cacheDir' | 'endpoint' | 'token' | 'offline' | 'concurrency' | 'parallelParts' | 'lowSpeed'>>): void {
    if (partial.parallelParts !== undefined) this.parallelParts = partial.parallelParts;
    if (partial.lowSpeed !== undefined) this.lowSpeed = partial.lowSpeed;
    if (partial.cacheDir !== undefined) this.layout = new HubCacheLayout(partial.cacheDir);
    if (partial.offline !== undefined) this.offline = partial.offline;
    this.client.configure({
      ...(partial.endpoint !== undefined ? { endpoint: partial.endpoint } : {}),
      ...(partial.token !== undefined ? { token: partial.token } : {}),
      ...(partial.offline !== undefined ? { offline: partial.offline } : {}),
    });
    if (partial.concurrency !== undefined) this.gate.setLimit(Math.max(1, Math.floor(partial.concurrency)));
  }

  async download(req: FileRequest, opts: { signal?: AbortSignal; onProgress?: (p: FileProgressUpdate) => void } = {}): Promise<DownloadedFile> {
    const progress = new ProgressReporter(opts.onProgress, this.now);
    const { signal } = opts;
    try {
      this.checkRequest(req);
      if (this.gate.full) progress.enter('queued');
      return await this.gate.run(async () => {
        const file = await this.downloadNow(req, signal, progress);
        // Inside the gate, so 'done' comes before the next queued file starts.
        progress.setTotal(file.size);
        progress.bytes(file.size);
        progress.enter('done');
        return file;
      }, signal, () => cancelled());
    } catch (err) {
      const e = signal?.aborted ? cancelled() : diskFull(err, req.path) ?? permissionDenied(err, this.layout.root) ?? toModelbayError(err);
      progress.enter(e.code === 'EMB-E114' ? 'paused' : 'failed');
      throw e;
    }
  }

  async discardPartial(req: FileRequest): Promise<void> {
    this.checkRequest(req);
    const candidates = new Set<string>();
    const known = this.etags.get(this.fileKey(req));
    if (known) candidates.add(known);
    if (req.sha256) candidates.add(req.sha256);
    if (candidates.size === 0 && !this.offline) {
      const meta = await this.client.fileMetadata(req.repo, req.revision, req.path).catch(() => null);
      if (meta) candidates.add(meta.etag);
    }
    for (const etag of candidates) {
      const lockPath = this.layout.writerLockPath(req.repo, etag);
      await this.blobQueue.run(lockPath, async () => {
        if (!(await WriterLock.clearStale(lockPath))) {
          throw new ModelbayError('EMB-E113', `${req.path} is still being downloaded by another process; its partial data was kept.`, { lockPath });
        }
        for (const p of [this.layout.partialPath(req.repo, etag), this.layout.partsPath(req.repo, etag)]) await unlink(p).catch(() => undefined);
      });
    }
  }

  private fileKey(req: FileRequest): string {
    return `${req.repo}@${req.revision}:${req.path}`;
  }

  private checkRequest(req: FileRequest): void {
    assertRepoId(req.repo);
    assertRevision(req.revision);
    assertRepoPath(req.path);
    if (req.sha256 != null && !SHA256_RE.test(req.sha256)) {
      throw new ModelbayError('EMB-E002', `The sha256 pinned for ${req.path} is not 64 lowercase hex characters.`, { path: req.path });
    }
    if (req.size != null && (!Number.isSafeInteger(req.size) || req.size < 0)) {
      throw new ModelbayError('EMB-E002', `The size given for ${req.path} is not a byte count.`, { path: req.path, size: req.size });
    }
  }

  private async downloadNow(req: FileRequest, signal: AbortSignal | undefined, progress: ProgressReporter): Promise<DownloadedFile> {
    progress.enter('resolving');
    if (this.offline) return fromCache(this.layout, req, 'offline');
    let meta: FileMetadata;
    try {
      meta = await this.withRetries(signal, () => this.client.fileMetadata(req.repo, req.revision, req.path, signal), progress);
    } catch (err) {
      const e = toModelbayError(err);
      if (e.code === 'EMB-E105') await markMissing(this.layout, req, e);
      // huggingface_hub falls back to the cache when the Hub cannot be reached.
      if (e.code === 'EMB-E107' && !signal?.aborted) {
        const cached = await fromCache(this.layout, req, 'network').catch(() => null);
        if (cached) return cached;
      }
      throw e;
    }
    this.etags.set(this.fileKey(req), meta.etag);
    if (req.size != null && req.size !== meta.size) {
      throw new ModelbayError('EMB-E109', `${req.path}: the catalog expects ${req.size} bytes but the Hub announces ${meta.size}. The repository changed or the catalog is wrong.`, { path: req.path, expected: req.size, announced: meta.size });
    }
    if (req.sha256 && SHA256_RE.test(meta.etag) && req.sha256 !== meta.etag) {
      throw new ModelbayError('EMB-E108', `${req.path}: the Hub serves a file whose sha256 (${meta.etag.slice(0, 12)}…) differs from the catalog's (${req.sha256.slice(0, 12)}…). The repository changed or the catalog is wrong.`, { path: req.path, expected: req.sha256, announced: meta.etag });
    }
    progress.setTotal(meta.size);
    const lockPath = this.layout.writerLockPath(req.repo, meta.etag);
    const blobPath = await this.blobQueue.run(lockPath, () => this.fetchBlob(req, meta, signal, progress));
    const file = await this.finish(req, meta, blobPath.path, blobPath.digest, blobPath.reused);
    return blobPath.parts === undefined ? file : { ...file, parts: blobPath.parts };
  }

  /** Ensure `blobs/{etag}` holds verified bytes; returns how it was verified. */
  private async fetchBlob(req: FileRequest, meta: FileMetadata, signal: AbortSignal | undefined, progress: ProgressReporter): Promise<{ path: string; digest: BlobDigest; reused: boolean; parts?: number }> {
    const blobPath = this.layout.blobPath(req.repo, meta.etag);
    const present = await this.usableBlob(blobPath, req, meta);
    if (present) return { path: blobPath, digest: present, reused: true };

    await makeDirs(this.layout.blobsDir(req.repo));
    // As huggingface_hub does: snapshots/ exists beside blobs/, or other clients' cache scans warn.
    await makeDirs(dirname(this.layout.snapshotPath(req.repo, meta.commit, req.path)));
    const lock = await WriterLock.acquire(this.layout.writerLockPath(req.repo, meta.etag), `${req.repo}/${req.path}`);
    try {
      // Another process may have finished it while we resolved.
      const again = await this.usableBlob(blobPath, req, meta);
      if (again) return { path: blobPath, digest: again, reused: true };
      const partial = this.layout.partialPath(req.repo, meta.etag);
      await checkDiskSpace(this.layout, req, meta, (await fileSize(partial)) ?? 0);
      for (let round = 0; ; round++) {
        let problem: ModelbayError;
        try {
          const { digest, parts } = await this.transfer(req, meta, signal, progress);
          progress.enter('verifying');
          const wrong = mismatch(req, meta, digest);
          if (wrong === null) {
            await rename(partial, blobPath);
            await unlink(this.layout.partsPath(req.repo, meta.etag)).catch(() => undefined);
            return { path: blobPath, digest, reused: false, parts };
          }
          problem = wrong;
        } catch (err) {
          // Bytes that cannot be the announced file (too many, too few): same as a failed check.
          const e = toModelbayError(err);
          if (signal?.aborted || (e.code !== 'EMB-E108' && e.code !== 'EMB-E109')) throw e;
          problem = e;
        }
        // The bytes are wrong: drop them, then try once more from zero before failing.
        await unlink(partial).catch(() => undefined);
        await unlink(this.layout.partsPath(req.repo, meta.etag)).catch(() => undefined);
        if (round >= 1) throw problem;
        progress.enter('downloading');
      }
    } finally {
      await dropEmptyPartial(this.layout.partialPath(req.repo, meta.etag), this.layout.partsPath(req.repo, meta.etag));
      await lock.release();
    }
  }

  /**
   * A blob already in the cache is reused when its size matches; its name is its sha256
   * for LFS files (written only after a check), and small regular files are re-hashed.
   */
  private async usableBlob(blobPath: string, req: FileRequest, meta: FileMetadata): Promise<BlobDigest | null> {
    const size = await fileSize(blobPath);
    if (size === null || size !== meta.size) return null;
    if (SHA256_RE.test(meta.etag)) return { size, sha256: meta.etag, gitSha1: null };
    const d = await hashFile(blobPath, size, true);
    return mismatch(req, meta, d) ? null : d;
  }

  private get retryPolicy(): RetryPolicy {
    return { retries: this.retries, backoff: this.backoff, sleep: this.sleep };
  }

  private withRetries<T>(signal: AbortSignal | undefined, attempt: () => Promise<T>, progress: ProgressReporter): Promise<T> {
    return withRetries(this.retryPolicy, signal, attempt, undefined, (w) => progress.retrying({ attempt: w.attempt, of: w.of, code: w.code, message: w.message, nextAt: this.now() + w.delayMs }));
  }

  /** The bytes into the partial file, hashed: in the download worker unless configured otherwise. */
  private async transfer(req: FileRequest, meta: FileMetadata, signal: AbortSignal | undefined, progress: ProgressReporter): Promise<{ digest: BlobDigest; parts: number }> {
    const job: ByteJob = {
      client: { ...this.client.connection, offline: this.offline },
      req: { repo: req.repo, revision: req.revision, path: req.path },
      meta,
      partialPath: this.layout.partialPath(req.repo, meta.etag),
      partsPath: this.layout.partsPath(req.repo, meta.etag),
      cacheRoot: this.layout.root,
      tuning: {
        retries: this.retries, backoff: this.backoff, idleTimeoutMs: this.idleTimeoutMs, parallelParts: this.parallelParts,
        lowSpeed: this.lowSpeed, hashInWorkerMinBytes: this.hashInWorkerMinBytes,
      },
    };
    return this.bytePath(job, { now: this.now, sleep: this.sleep }, {
      downloading: () => progress.enter('downloading'),
      bytes: (n) => progress.bytes(n),
      retrying: (w) => progress.retrying({ attempt: w.attempt, of: w.of, code: w.code, message: w.message, nextAt: this.now() + w.delayMs }),
    }, signal);
  }

  private async finish(req: FileRequest, meta: FileMetadata, blobPath: string, digest: BlobDigest, reused: boolean): Promise<DownloadedFile> {
    const snapshotPath = this.layout.snapshotPath(req.repo, meta.commit, req.path);
    await linkSnapshot(this.layout, req.repo, meta.commit, req.path, meta.etag, blobPath, snapshotPath);
    if (req.revision !== meta.commit) await writeAtomic(this.layout.refPath(req.repo, req.revision), meta.commit);
    return {
      repo: req.repo, revision: req.revision, commit: meta.commit, path: req.path, snapshotPath, blobPath,
      etag: meta.etag, sha256: digest.sha256, size: digest.size, verifiedBy: verifiedBy(req, meta.etag), reused,
    };
  }
}
