/**
 * The download worker's entry (a worker thread; built as out/main/download-worker.js):
 * runs byte paths (byte-path.ts) for the main thread, which sends jobs and aborts and
 * hears back progress, retry waits and the final digest. Reading the socket, writing the
 * partial file and hashing all happen here, off the app's event loop.
 *
 * Waits between retries are run by the main thread (its sleep is the one tests inject),
 * and byte counts are sent at most every BYTES_EVERY_MS: the main thread shows them at
 * most ten times a second anyway.
 */
import { parentPort } from 'node:worker_threads';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { permissionDenied, cancelled } from '../hub/transfer-errors.js';
import { runBytePath, type ByteEvents, type ByteJob, type ByteResult } from './byte-path.js';
import { diskFull } from './partial-file.js';
import type { RetryWait } from '../hub/retry-policy.js';
import type { SerializedError } from '../../../../shared/errors/errors.js';

/** An error as it crosses the thread boundary: a coded one whole, a system one with its errno. */
export type WireError =
  | { kind: 'coded'; error: SerializedError }
  | { kind: 'system'; name: string; message: string; code?: string; syscall?: string; path?: string; errno?: number };

export type ToWorker =
  | { type: 'start'; id: number; job: ByteJob }
  | { type: 'abort'; id: number }
  /** A wait the worker asked for has passed. */
  | { type: 'woke'; id: number; wait: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'downloading'; id: number }
  | { type: 'bytes'; id: number; n: number }
  | { type: 'retrying'; id: number; wait: RetryWait }
  | { type: 'sleep'; id: number; wait: number; ms: number }
  | { type: 'done'; id: number; result: ByteResult }
  | { type: 'failed'; id: number; error: WireError };

const BYTES_EVERY_MS = 20;

export function toWire(err: unknown): WireError {
  if (err instanceof ModelbayError) return { kind: 'coded', error: err.toJSON() };
  const e = (err instanceof Error ? err : new Error(String(err))) as NodeJS.ErrnoException;
  return {
    kind: 'system', name: e.name, message: e.message,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.syscall === 'string' ? { syscall: e.syscall } : {}),
    ...(typeof e.path === 'string' ? { path: e.path } : {}),
    ...(typeof e.errno === 'number' ? { errno: e.errno } : {}),
  };
}

interface Running {
  abort: AbortController;
  /** Waits the main thread runs, by number. */
  waits: Map<number, () => void>;
}

function serve(port: NonNullable<typeof parentPort>): void {
  const jobs = new Map<number, Running>();
  let waitIds = 0;
  const post = (m: FromWorker): void => port.postMessage(m);

  const start = (id: number, job: ByteJob): void => {
    const running: Running = { abort: new AbortController(), waits: new Map() };
    jobs.set(id, running);
    const { signal } = running.abort;
    let lastBytes = -Infinity;
    let pending: number | null = null;
    let timer: NodeJS.Timeout | null = null;
    const flushBytes = (): void => {
      if (timer !== null) { clearTimeout(timer); timer = null; }
      if (pending === null) return;
      post({ type: 'bytes', id, n: pending });
      pending = null;
      lastBytes = Date.now();
    };
    const events: ByteEvents = {
      downloading: () => { flushBytes(); post({ type: 'downloading', id }); },
      bytes: (n) => {
        pending = n;
        const wait = lastBytes + BYTES_EVERY_MS - Date.now();
        if (wait <= 0) flushBytes();
        else timer ??= setTimeout(flushBytes, wait);
      },
      retrying: (wait) => { flushBytes(); post({ type: 'retrying', id, wait }); },
    };
    const sleep = (ms: number, s?: AbortSignal): Promise<void> => new Promise((resolveWait, reject) => {
      const wait = ++waitIds;
      const onAbort = (): void => { running.waits.delete(wait); reject(cancelled()); };
      if (s?.aborted) { onAbort(); return; }
      s?.addEventListener('abort', onAbort, { once: true });
      running.waits.set(wait, () => { s?.removeEventListener('abort', onAbort); resolveWait(); });
      flushBytes();
      post({ type: 'sleep', id, wait, ms });
    });
    void runBytePath(job, { now: Date.now, sleep }, events, signal).then((result): FromWorker => ({ type: 'done', id, result }), (err: unknown): FromWorker => ({
      type: 'failed', id, error: toWire(diskFull(err, job.req.path) ?? permissionDenied(err, job.cacheRoot) ?? err),
    })).then((answer) => {
      jobs.delete(id);
      flushBytes();
      post(answer);
    });
  };

  port.on('message', (m: ToWorker) => {
    if (m.type === 'start') start(m.id, m.job);
    else if (m.type === 'abort') jobs.get(m.id)?.abort.abort();
    else {
      const wake = jobs.get(m.id)?.waits.get(m.wait);
      jobs.get(m.id)?.waits.delete(m.wait);
      wake?.();
    }
  });
  post({ type: 'ready' });
}

if (parentPort) serve(parentPort);
