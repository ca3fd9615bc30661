/**
 * The inside of a session host: holds one device's onnxruntime sessions and answers the
 * protocol's requests one at a time (onnxruntime's create() and run() block this
 * process's thread anyway, and one at a time means no two runs share a session).
 * Transport-agnostic: host.ts plugs in process.send or Electron's parentPort.
 */
import { stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { ModelbayError, serializeError } from '../../shared/errors/errors.js';
import { DEFAULT_BATCHER_OPTIONS, EmbedBatcher } from './embed-batcher.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_MAX_SEQUENCE_LENGTH, Embedder } from './embedder.js';
import { executionProviders } from '../core/runtime/cuda-options.js';
import { createError, gpuMemoryError } from './ort-errors.js';
import {
  asEmbedMessage,
  asServeMessage,
  HostRequestSchema,
  type EmbedMessage,
  type EmbedInput,
  type EmbedOutput,
  type EmbedResult,
  type ExecutionProvider,
  type HostMessage,
  type HostRequest,
  type HostStats,
  type LoadMessage,
  type LoadResult,
  type ServeMessage,
} from '../core/runtime/protocol.js';
import { serveRequest } from './serve-request.js';
import { TextTokenizer } from './text-tokenizer.js';

export interface HostTransport {
  post(message: HostMessage): void;
  onMessage(handler: (message: unknown) => void): void;
  /** Ends the process once the shutdown reply is out. */
  exit(code: number): void;
}

interface HostedSession {
  session: ort.InferenceSession;
  embedder: Embedder;
  batcher: EmbedBatcher;
  provider: ExecutionProvider;
  deviceId: number;
  memoryLimitBytes: number | null;
}

export class HostServer {
  private readonly sessions = new Map<string, HostedSession>();
  private queue: Promise<void> = Promise.resolve();
  private readonly started = performance.now();

  constructor(private readonly transport: HostTransport) {}

  start(): void {
    this.transport.onMessage((raw) => {
      this.queue = this.queue.then(() => this.handle(raw));
    });
    this.transport.post({ kind: 'ready', pid: process.pid });
  }

  /** Runs `fn` after the host's other work: one onnxruntime call at a time. */
  private readonly exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = this.queue.then(fn);
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  };

  private async handle(raw: unknown): Promise<void> {
    const serve = asServeMessage(raw);
    if (serve) {
      this.startServe(serve);
      return;
    }
    const embed = asEmbedMessage(raw);
    if (embed) {
      this.startEmbed(embed);
      return;
    }
    const parsed = HostRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number' ? raw.id : -1;
      if (id >= 0) this.reply(id, new ModelbayError('EMB-E401', `The session host received a malformed request: ${parsed.error.message}`, {}));
      return;
    }
    const req = parsed.data;
    if (req.kind === 'embed') {
      this.startEmbed(req);
      return;
    }
    if (req.kind === 'serve') {
      this.startServe(req);
      return;
    }
    try {
      const value = await this.dispatch(req);
      this.transport.post({ kind: 'reply', id: req.id, ok: true, value });
    } catch (e) {
      this.reply(req.id, e);
    }
    if (req.kind === 'shutdown') this.transport.exit(0);
  }

  /** Not awaited: the request waits in its session's batcher while the queue moves on, so neighbours can join it. */
  private startEmbed(req: EmbedMessage): void {
    this.answer(req.id, this.submit(req.session, req.texts, req.output ?? 'pooled'));
  }

  private startServe(req: ServeMessage): void {
    this.answer(req.id, serveRequest(req, (inputs, output) => this.submit(req.session, inputs, output)));
  }

  private answer(id: number, work: Promise<unknown>): void {
    work.then(
      (value) => this.transport.post({ kind: 'reply', id, ok: true, value }),
      (e: unknown) => this.reply(id, e),
    );
  }

  private reply(id: number, error: unknown): void {
    this.transport.post({ kind: 'reply', id, ok: false, error: serializeError(error) });
  }

  private async dispatch(req: HostRequest): Promise<unknown> {
    switch (req.kind) {
      case 'load': return this.load(req);
      case 'unload': {
        const s = this.sessions.get(req.session);
        if (s) {
          this.sessions.delete(req.session);
          s.batcher.close(new ModelbayError('EMB-E005', `Session ${req.session} was unloaded.`, { session: req.session }));
          await s.session.release();
        }
        return { remaining: this.sessions.size };
      }
      case 'embed': return this.submit(req.session, req.texts, req.output ?? 'pooled');
      case 'serve': return serveRequest(req, (inputs, output) => this.submit(req.session, inputs, output));
      case 'stats': return this.stats();
      case 'shutdown': {
        const n = this.sessions.size;
        for (const s of this.sessions.values()) {
          s.batcher.close(new ModelbayError('EMB-E005', 'The session host is shutting down.', {}));
          await s.session.release().catch(() => undefined);
        }
        this.sessions.clear();
        return { released: n };
      }
    }
  }

  private async submit(session: string, inputs: ReadonlyArray<EmbedInput>, output: EmbedOutput): Promise<EmbedResult> {
    const s = this.sessions.get(session);
    if (!s) throw new ModelbayError('EMB-E005', `Session ${session} is not loaded in this host.`, { session });
    // Out of GPU memory mid-run: EMB-E310 with the session's limit, not a bare inference failure.
    return s.batcher.submit(inputs, output).catch((e: unknown) => {
      throw gpuMemoryError(e, { provider: s.provider, deviceId: s.deviceId, memoryLimitBytes: s.memoryLimitBytes }) ?? e;
    });
  }

  private async load(req: LoadMessage): Promise<LoadResult> {
    if (this.sessions.has(req.session)) throw new ModelbayError('EMB-E007', `Session ${req.session} is already loaded.`, { session: req.session });
    for (const file of [req.model, ...req.externalData, ...(req.tokenizer ? [req.tokenizer] : [])]) {
      try {
        await stat(file);
      } catch {
        throw new ModelbayError('EMB-E101', `The model file ${file} is missing: download the slot's files again.`, { file });
      }
    }
    const warmup = req.options.warmup ?? true;
    const tokenizerPath = req.tokenizer;
    // With warm-up the tokenizer is needed now; without, its parse (tens of ms for a
    // 30k vocabulary) waits for the first embed so the load does only the session.
    const tokenizer = tokenizerPath === null ? null : warmup ? await TextTokenizer.fromFile(tokenizerPath) : () => TextTokenizer.fromFile(tokenizerPath);
    const rssBefore = process.memoryUsage.rss();
    const t0 = performance.now();
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(req.model, sessionOptions(req));
    } catch (e) {
      throw createError(e, { model: req.model, provider: req.provider, deviceId: req.deviceId, memoryLimitBytes: req.memoryLimitBytes });
    }
    const createMs = performance.now() - t0;
    try {
      const embedder = new Embedder(session, tokenizer, ort.Tensor, {
        pooling: req.pooling,
        dims: req.dims,
        maxSequenceLength: req.options.maxSequenceLength ?? DEFAULT_MAX_SEQUENCE_LENGTH,
        batchSize: req.options.batchSize ?? DEFAULT_BATCH_SIZE,
      });
      let warmupMs: number | null = null;
      if (warmup && tokenizer) {
        const t1 = performance.now();
        await embedder.embed(['warm-up']);
        embedder.embedded = 0;
        warmupMs = performance.now() - t1;
      }
      const batcher = new EmbedBatcher(embedder, this.exclusive, {
        ...DEFAULT_BATCHER_OPTIONS,
        maxBatchInputs: req.options.batchSize ?? DEFAULT_BATCH_SIZE,
        ...(req.options.maxBatchTokens !== undefined ? { maxBatchTokens: req.options.maxBatchTokens } : {}),
        ...(req.options.batchWaitMs !== undefined ? { maxWaitMs: req.options.batchWaitMs } : {}),
      });
      this.sessions.set(req.session, { session, embedder, batcher, provider: req.provider, deviceId: req.deviceId, memoryLimitBytes: req.memoryLimitBytes ?? null });
      return {
        inputNames: [...session.inputNames],
        outputNames: [...session.outputNames],
        output: embedder.output,
        createMs,
        warmupMs,
        rssBeforeBytes: rssBefore,
        rssAfterBytes: process.memoryUsage.rss(),
        pid: process.pid,
      };
    } catch (e) {
      await session.release().catch(() => undefined);
      throw gpuMemoryError(e, { provider: req.provider, deviceId: req.deviceId, memoryLimitBytes: req.memoryLimitBytes }) ?? e;
    }
  }

  private stats(): HostStats {
    const mem = process.memoryUsage();
    return {
      pid: process.pid,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      uptimeMs: performance.now() - this.started,
      sessions: [...this.sessions].map(([name, s]) => ({
        session: name,
        inputNames: [...s.session.inputNames],
        outputNames: [...s.session.outputNames],
        provider: s.provider,
        embedded: s.embedder.embedded,
      })),
    };
  }
}

export function sessionOptions(req: Pick<LoadMessage, 'provider' | 'deviceId' | 'options' | 'externalData'>): ort.InferenceSession.SessionOptions {
  const o = req.options;
  return {
    executionProviders: executionProviders(req.provider, req.deviceId),
    graphOptimizationLevel: o.graphOptimizationLevel ?? 'all',
    ...(o.intraOpNumThreads !== undefined ? { intraOpNumThreads: o.intraOpNumThreads } : {}),
    ...(o.interOpNumThreads !== undefined ? { interOpNumThreads: o.interOpNumThreads } : {}),
  };
}
