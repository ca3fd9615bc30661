/**
 * The byte path of one blob: socket → partial file → incremental hash, with every
 * transfer rule on the way (resume from the partial, Range parts, retries, the low-speed
 * limit, CDN URL renewal, short bodies as EMB-E121). It needs nothing of the caller but
 * plain data and a clock, so it runs in the download worker (byte-worker.ts) as well as
 * in the calling thread; the downloader keeps what comes before and after: resolving,
 * the writer lock, the hash check and publishing.
 */
import { unlink, writeFile } from 'node:fs/promises';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import type { BlobDigest } from './blob-hasher.js';
import { HubClient, type FileMetadata, type HubResponse } from '../hub/hub-client.js';
import type { LowSpeedLimit } from '../hub/low-speed.js';
import { withRetries, type BackoffOptions, type RetryPolicy, type RetryWait } from '../hub/retry-policy.js';
import { permissionDenied } from '../hub/transfer-errors.js';
import type { PartGrowth } from './part-count.js';
import { diskFull, resumablePartial } from './partial-file.js';
import { downloadInParts, planParts, RangeIgnoredError, type PartsState } from './range-parts.js';
import { inlineHash, streamTransfer, workerHash } from './stream-transfer.js';
import { TailHasher } from './tail-hasher.js';

/** Range parts for large files: `parts` at most; `grow` finds the number while downloading (part-count.ts). */
export interface ParallelParts {
  minBytes: number;
  parts: number;
  /** Start with one part and add parts while they pay; absent or null runs `parts` parts from the start. */
  grow?: PartGrowth | null;
}

/** The transfer settings a job carries (all plain data: it crosses to the worker). */
export interface ByteTuning {
  retries: number;
  backoff: BackoffOptions;
  idleTimeoutMs: number;
  parallelParts: ParallelParts | null;
  lowSpeed: LowSpeedLimit | null;
  /** Single streams from this size are hashed by a second thread reading behind the writes. */
  hashInWorkerMinBytes: number;
}

export interface ByteJob {
  /** The Hub the token belongs to: it is only ever sent to this endpoint's origin. */
  client: { endpoint: string; token: string | null; offline: boolean };
  req: { repo: string; revision: string; path: string };
  meta: FileMetadata;
  partialPath: string;
  partsPath: string;
  /** The cache folder, named in permission errors. */
  cacheRoot: string;
  tuning: ByteTuning;
}

/** What the byte path reports while it runs. */
export interface ByteEvents {
  downloading(): void;
  /** Bytes of the file present (on disk or on their way) so far. */
  bytes(n: number): void;
  retrying(wait: RetryWait): void;
}

export interface ByteClock {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface ByteResult {
  digest: BlobDigest;
  /** The largest number of Range parts that ran at once (1 for one stream). */
  parts: number;
}

/** Runs a job's byte path somewhere: in this thread (runBytePath) or in the download worker (byte-thread.ts). */
export type ByteRunner = (job: ByteJob, clock: ByteClock, events: ByteEvents, signal?: AbortSignal) => Promise<ByteResult>;

export async function runBytePath(job: ByteJob, clock: ByteClock, events: ByteEvents, signal?: AbortSignal): Promise<ByteResult> {
  const path = new BytePath(job, clock, events, signal);
  return path.run();
}

class BytePath {
  private readonly client: HubClient;
  private readonly policy: RetryPolicy;
  private readonly meta: FileMetadata;

  constructor(private readonly job: ByteJob, private readonly clock: ByteClock, private readonly events: ByteEvents, private readonly signal: AbortSignal | undefined) {
    this.client = new HubClient({ ...job.client, timeoutMs: job.tuning.idleTimeoutMs });
    this.policy = { retries: job.tuning.retries, backoff: job.tuning.backoff, sleep: clock.sleep };
    // Its download URL may be renewed (an expired CDN signature): a copy, the caller's stays as it was.
    this.meta = { ...job.meta };
  }

  private retrying<T>(signal: AbortSignal | undefined, attempt: () => Promise<T>, kept: () => number): Promise<T> {
    return withRetries(this.policy, signal, attempt, kept, (w) => this.events.retrying(w));
  }

  async run(): Promise<ByteResult> {
    const { job, meta } = this;
    const gitSize = meta.etag.length === 40 ? meta.size : null;
    const pp = job.tuning.parallelParts;
    const { saved, partialSize } = await resumablePartial(job.partialPath, job.partsPath, meta.etag, meta.size);
    const usePartsFresh = saved === null && !partialSize && pp !== null && meta.lfs && meta.size >= pp.minBytes && pp.parts > 1;
    const state = saved ?? (usePartsFresh ? planParts(meta.etag, meta.size, pp.grow ? 1 : pp.parts) : null);
    if (state !== null) {
      this.events.downloading();
      const fresh = state !== saved;
      if (fresh) await writeFile(job.partialPath, '');
      const tail = new TailHasher(job.partialPath, gitSize);
      try {
        const parts = await this.parts(tail, state, fresh);
        return { digest: await tail.digest(meta.size), parts };
      } catch (err) {
        if (!(err instanceof RangeIgnoredError)) throw err;
      } finally {
        await tail.close();
      }
      await unlink(job.partsPath).catch(() => undefined);
      await unlink(job.partialPath).catch(() => undefined);
    }
    const digest = await streamTransfer({
      fetch: (start) => this.fetch({ start, signal: this.signal }), url: () => meta.downloadUrl,
      size: meta.size, partialPath: job.partialPath, path: job.req.path,
      hash: meta.size >= job.tuning.hashInWorkerMinBytes ? workerHash(job.partialPath, gitSize) : inlineHash(gitSize),
      signal: this.signal, progress: { enter: () => this.events.downloading(), bytes: (n) => this.events.bytes(n) },
      lowSpeed: job.tuning.lowSpeed, now: this.clock.now,
      retrying: (attempt, keptBytes) => this.retrying(this.signal, attempt, keptBytes),
      writeError: (err) => diskFull(err, job.req.path) ?? permissionDenied(err, job.cacheRoot),
    });
    return { digest, parts: 1 };
  }

  private parts(hash: TailHasher, state: PartsState, fresh: boolean): Promise<number> {
    const { job, meta } = this;
    const pp = job.tuning.parallelParts;
    return downloadInParts({
      fetch: (start, end, s) => this.fetch({ start, end, signal: s }), url: meta.downloadUrl, etag: meta.etag, size: meta.size,
      partialPath: job.partialPath, partsPath: job.partsPath,
      state, fresh, hash, signal: this.signal, idleTimeoutMs: job.tuning.idleTimeoutMs,
      ctx: job.req,
      retrying: (s, attempt, keptBytes) => this.retrying(s, attempt, keptBytes),
      lowSpeed: job.tuning.lowSpeed,
      onBytes: (n) => this.events.bytes(n),
      now: this.clock.now,
      growth: pp?.grow ? { ...pp.grow, maxParts: pp.parts } : null,
    });
  }

  /**
   * GET the bytes. A CDN answering 401/403 has usually let its pre-signed URL expire (a
   * long pause): ask the Hub for a fresh one, once, and go on — unless the file changed.
   */
  private async fetch(range: { start: number; end?: number; signal: AbortSignal | undefined }): Promise<HubResponse> {
    const { req } = this.job;
    const meta = this.meta;
    const opts = { ...range, idleTimeoutMs: this.job.tuning.idleTimeoutMs, ctx: req };
    try {
      return await this.client.get(meta.downloadUrl, opts);
    } catch (err) {
      const status = err instanceof ModelbayError ? err.details['status'] : null;
      if (!(err instanceof ModelbayError) || err.code !== 'EMB-E116' || (status !== 401 && status !== 403)
        || new URL(meta.downloadUrl).origin === new URL(this.client.endpoint).origin) throw err;
      const fresh = await this.client.fileMetadata(req.repo, req.revision, req.path, range.signal);
      if (fresh.etag !== meta.etag || fresh.size !== meta.size) {
        throw new ModelbayError('EMB-E116', `${req.path} changed on the Hub during the download; start it again.`, { path: req.path, etag: meta.etag, newEtag: fresh.etag });
      }
      meta.downloadUrl = fresh.downloadUrl;
      return this.client.get(meta.downloadUrl, opts);
    }
  }
}
