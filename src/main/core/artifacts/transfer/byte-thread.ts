/**
 * The main thread's side of the download worker (byte-worker.ts): starts it on the first
 * job, hands it byte paths to run, relays their progress, retry waits and results, and
 * passes pause and cancel on as aborts. One worker per entry serves every download of
 * the process; it is let go of when idle.
 *
 * A worker that cannot start or dies fails the downloads it was running with EMB-E124 —
 * never the app — and the next download starts a new one. Its entry is the built
 * out/main/download-worker.js (the app's entries pass it, as they pass the session host's),
 * or, run from the TypeScript sources (tests, benchmarks, `npm run demo`), byte-worker.ts
 * through tsx.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { cancelled } from '../hub/transfer-errors.js';
import type { ByteClock, ByteEvents, ByteJob, ByteResult, ByteRunner } from './byte-path.js';
import type { FromWorker, ToWorker, WireError } from './byte-worker.js';

export interface ByteWorkerEntry {
  /** The worker's entry file. */
  path: string;
  /** A TypeScript source: load it through tsx (a development dependency). */
  tsx: boolean;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** The worker beside this module: its source when run from sources, else the built entry beside the bundle. */
export function defaultByteWorker(): ByteWorkerEntry {
  return import.meta.url.endsWith('.ts') ? { path: join(HERE, 'byte-worker.ts'), tsx: true } : builtByteWorker(HERE);
}

/** The built worker in an entry's folder (out/main). */
export function builtByteWorker(dir: string): ByteWorkerEntry {
  return { path: join(dir, 'download-worker.js'), tsx: false };
}

/** Workers cannot take `--import tsx` on Node 20: do what it does inside the worker, then load the entry. */
const TSX_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.entryUrl); }).catch((err) => setImmediate(() => { throw err; }));
`;

/** Let an idle worker go after this long (its memory back); the next download starts another. */
const IDLE_MS = 30_000;

interface Job {
  clock: ByteClock;
  events: ByteEvents;
  signal: AbortSignal | undefined;
  resolve: (r: ByteResult) => void;
  reject: (e: Error) => void;
}

export function workerFailed(entry: ByteWorkerEntry, started: boolean, reason: string): ModelbayError {
  const message = started
    ? `The download worker stopped (${reason}); the download was interrupted and its bytes so far are kept. Resume it to continue.`
    : `The download worker could not start (${reason}). Reinstall Modelbay if this persists.`;
  return new ModelbayError('EMB-E124', message, { reason, started, entry: entry.path });
}

function fromWire(w: WireError): Error {
  if (w.kind === 'coded') return ModelbayError.fromJSON(w.error);
  return Object.assign(new Error(w.message), { name: w.name, code: w.code, syscall: w.syscall, path: w.path, errno: w.errno });
}

class ByteThread {
  private worker: Worker | null = null;
  private started = false;
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly entry: ByteWorkerEntry) {}

  run(job: ByteJob, clock: ByteClock, events: ByteEvents, signal?: AbortSignal): Promise<ByteResult> {
    if (signal?.aborted) return Promise.reject(cancelled());
    return new Promise<ByteResult>((resolve, reject) => {
      const id = ++this.nextId;
      let worker: Worker;
      try {
        worker = this.ensureWorker();
      } catch (err) {
        reject(workerFailed(this.entry, false, err instanceof Error ? err.message : String(err)));
        return;
      }
      const onAbort = (): void => this.send({ type: 'abort', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.jobs.delete(id);
        this.idleCheck();
      };
      this.jobs.set(id, {
        clock, events, signal,
        resolve: (r) => { done(); resolve(r); },
        reject: (e) => { done(); reject(e); },
      });
      worker.ref();
      this.send({ type: 'start', id, job });
    });
  }

  private send(m: ToWorker): void {
    try {
      this.worker?.postMessage(m);
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }

  private ensureWorker(): Worker {
    if (this.idleTimer !== null) { clearTimeout(this.idleTimer); this.idleTimer = null; }
    if (this.worker !== null) return this.worker;
    const worker = this.entry.tsx
      ? new Worker(TSX_BOOTSTRAP, { eval: true, workerData: { tsxApi: import.meta.resolve('tsx/esm/api'), entryUrl: pathToFileURL(this.entry.path).href } })
      : new Worker(this.entry.path);
    this.worker = worker;
    this.started = false;
    // An uncaught error reaches main on the worker's internal channel, which can overtake the
    // messages it posted before dying ('ready' among them, on a busy machine). By 'exit' Node
    // has delivered those, so the downloads fail there, with the error as the reason.
    let reason: string | null = null;
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => { reason ??= err.message; });
    worker.on('messageerror', (err) => { reason ??= err.message; void worker.terminate(); });
    worker.on('exit', (code) => { if (this.worker === worker) this.fail(reason ?? `it exited with code ${code}`); });
    return worker;
  }

  /** The worker is gone: every download it ran fails with EMB-E124 (aborted ones as cancelled). */
  private fail(reason: string): void {
    const worker = this.worker;
    const started = this.started;
    this.worker = null;
    void worker?.terminate();
    for (const job of [...this.jobs.values()]) job.reject(job.signal?.aborted ? cancelled() : workerFailed(this.entry, started, reason));
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') { this.started = true; return; }
    const job = this.jobs.get(m.id);
    if (job === undefined) return;
    switch (m.type) {
      case 'downloading': job.events.downloading(); break;
      case 'bytes': job.events.bytes(m.n); break;
      case 'retrying': job.events.retrying(m.wait); break;
      case 'sleep':
        // The main thread's sleep (tests inject theirs); an abort reaches the worker on its own.
        void job.clock.sleep(m.ms, job.signal).then(() => this.send({ type: 'woke', id: m.id, wait: m.wait }), () => undefined);
        break;
      case 'done': job.resolve(m.result); break;
      case 'failed': job.reject(fromWire(m.error)); break;
    }
  }

  /** No download left: stop holding the process open, and let the worker go after a while. */
  private idleCheck(): void {
    if (this.jobs.size > 0 || this.worker === null) return;
    const worker = this.worker;
    worker.unref();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.jobs.size > 0 || this.worker !== worker) return;
      this.worker = null;
      void worker.terminate();
    }, IDLE_MS);
    this.idleTimer.unref();
  }
}

const threads = new Map<string, ByteThread>();

/** The byte path in the download worker of `entry`, shared by every downloader of the process. */
export function byteThread(entry: ByteWorkerEntry): ByteRunner {
  const key = `${entry.tsx ? 'tsx:' : ''}${entry.path}`;
  let thread = threads.get(key);
  if (thread === undefined) {
    thread = new ByteThread(entry);
    threads.set(key, thread);
  }
  const t = thread;
  return (job, clock, events, signal) => t.run(job, clock, events, signal);
}
