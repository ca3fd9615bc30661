/**
 * Dynamic batching of one session's embed requests, as text-embeddings-inference does:
 * requests that arrive while the model is busy are merged up to a token budget, run
 * together, and split back per request. The queue delay adapts: an idle model starts at
 * once (only requests that arrived in the same turn of the event loop join), a busy one
 * takes whatever came during its last run. A merged run that fails is retried request by
 * request, so one bad request fails only itself.
 */
import { ModelbayError } from '../../shared/errors/errors.js';
import { count } from '../../shared/values/counts.js';
import type { EmbedInput, EmbedOutput, EmbedResult } from '../core/runtime/protocol.js';
import type { Embedder } from './embedder.js';

export interface BatcherOptions {
  /** Tokens (summed over inputs) one merged run may hold; a single larger request still runs alone. */
  maxBatchTokens: number;
  /**
   * Inputs one merged run may hold: the embedder's run size. Answers leave after each
   * merged run, so the host works on the next requests while main and the clients handle
   * these; one merged run of everything waiting made the pipeline move in lock-step.
   */
  maxBatchInputs: number;
  /** How long an idle session waits for neighbours before it runs the first request (0: no wait, the default). */
  maxWaitMs: number;
  /** Inputs waiting beyond which new requests are refused (EMB-E209) instead of queued without end. */
  maxQueuedInputs: number;
}

export const DEFAULT_BATCHER_OPTIONS: BatcherOptions = { maxBatchTokens: 16_384, maxBatchInputs: 32, maxWaitMs: 0, maxQueuedInputs: 65_536 };

interface Encoded {
  ids: number[];
  types: number[];
  cut?: number;
}

interface Job {
  inputs: ReadonlyArray<EmbedInput>;
  encoded: Encoded[];
  tokens: number;
  output: EmbedOutput;
  resolve(result: EmbedResult): void;
  reject(error: unknown): void;
}

/** Runs `fn` when the host's other work (loads, other sessions' runs) is done. */
export type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

export class EmbedBatcher {
  private pending: Job[] = [];
  private queuedInputs = 0;
  private scheduled = false;
  private closed: ModelbayError | null = null;

  constructor(
    private readonly embedder: Embedder,
    private readonly exclusive: Exclusive,
    private readonly options: BatcherOptions = DEFAULT_BATCHER_OPTIONS,
  ) {}

  /** Inputs waiting for a run. */
  get depth(): number {
    return this.queuedInputs;
  }

  /** Tokenizes now (a bad input fails alone, before it can join a batch), then queues. */
  async submit(inputs: ReadonlyArray<EmbedInput>, output: EmbedOutput): Promise<EmbedResult> {
    if (this.closed) throw this.closed;
    if (this.queuedInputs + inputs.length > this.options.maxQueuedInputs) {
      throw new ModelbayError('EMB-E209', `This model already has ${count(this.queuedInputs, 'input')} waiting (limit ${this.options.maxQueuedInputs}); retry shortly.`, { queued: this.queuedInputs, limit: this.options.maxQueuedInputs });
    }
    const tokenizer = await this.embedder.ready();
    // An unload may have come while the tokenizer loaded: nothing would run this request.
    const closed = this.closedBy();
    if (closed) throw closed;
    const encoded = inputs.map((i) => this.embedder.encode(tokenizer, i));
    const tokens = encoded.reduce((n, e) => n + e.ids.length, 0);
    return new Promise<EmbedResult>((resolve, reject) => {
      this.pending.push({ inputs, encoded, tokens, output, resolve, reject });
      this.queuedInputs += inputs.length;
      this.schedule(this.options.maxWaitMs);
    });
  }

  private closedBy(): ModelbayError | null {
    return this.closed;
  }

  /** The session is going away: every waiting request fails with `error`. */
  close(error: ModelbayError): void {
    this.closed = error;
    for (const job of this.pending.splice(0)) job.reject(error);
    this.queuedInputs = 0;
  }

  private schedule(waitMs: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const go = (): void => {
      // Once the model is ours, one more turn of the event loop: requests that arrived
      // during the previous run (read only now, since a run blocks this thread) join this batch.
      this.exclusive(async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        await this.drain();
      }).catch(() => undefined);
    };
    if (waitMs > 0) setTimeout(go, waitMs);
    else setImmediate(go);
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    const first = this.pending[0];
    if (!first) return;
    // Requests of one output kind share a run; the budget counts real tokens (texts are length-sorted, so padding stays small).
    const taken: Job[] = [];
    let tokens = 0;
    let count = 0;
    this.pending = this.pending.filter((job) => {
      if (job.output !== first.output) return true;
      const full = tokens + job.tokens > this.options.maxBatchTokens || count + job.inputs.length > this.options.maxBatchInputs;
      if (taken.length > 0 && full) return true;
      taken.push(job);
      tokens += job.tokens;
      count += job.inputs.length;
      return false;
    });
    for (const job of taken) this.queuedInputs -= job.inputs.length;
    // Whatever arrived meanwhile runs next, without another wait: the model is already warm and busy.
    if (this.pending.length > 0) this.schedule(0);
    const inputs = taken.reduce((n, j) => n + j.inputs.length, 0);
    try {
      const merged = await this.embedder.embed(taken.flatMap((j) => j.inputs), first.output, taken.flatMap((j) => j.encoded));
      split(merged, taken, { inputs, requests: taken.length });
    } catch (e) {
      if (taken.length === 1) {
        taken[0]?.reject(e);
        return;
      }
      for (const job of taken) {
        try {
          const alone = await this.embedder.embed(job.inputs, job.output, job.encoded);
          job.resolve({ ...alone, batch: { inputs: job.inputs.length, requests: 1 } });
        } catch (err) {
          job.reject(err);
        }
      }
    }
  }
}

/**
 * Each job gets views of the merged result, no copies: the data channel and Node's IPC
 * write a view's own bytes, and Electron's transport copies before its postMessage
 * (ownBuffers), which would clone a view's whole buffer.
 */
function split(merged: EmbedResult, jobs: Job[], batch: { inputs: number; requests: number }): void {
  let input = 0;
  let offset = 0;
  const share = merged.hostMs / Math.max(1, batch.inputs);
  for (const job of jobs) {
    const n = job.inputs.length;
    const lengths = merged.lengths ? merged.lengths.slice(input, input + n) : null;
    const floats = (lengths ? lengths.reduce((a, b) => a + b, 0) : n) * merged.dims;
    job.resolve({
      dims: merged.dims,
      count: n,
      data: merged.data.subarray(offset, offset + floats),
      lengths,
      tokens: merged.tokens?.slice(input, input + n),
      ...(merged.truncated ? { truncated: merged.truncated.slice(input, input + n) } : {}),
      hostMs: share * n,
      batch,
    });
    input += n;
    offset += floats;
  }
}
