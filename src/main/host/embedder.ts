/**
 * Texts → embeddings with one onnxruntime session: tokenize, batch (texts sorted by
 * length so padding stays small), feed the inputs the model declares, pool, normalise.
 * Used inside the host process and, for the benchmark's baseline, in-process.
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { ModelbayError } from '../../shared/errors/errors.js';
import { normalizeRows, poolSequence, spladePool, tokenVectors } from './pooling.js';
import type { EmbedInput, EmbedOutput, EmbedResult, PoolingMode } from '../core/runtime/protocol.js';
import type { EncodedBatch, TextTokenizer } from './text-tokenizer.js';
import { chooseOutputName } from '../core/runtime/output-choice.js';

type TensorCtor = new (type: 'int64', data: BigInt64Array, dims: number[]) => OrtTensor;

export interface EmbedderConfig {
  pooling: PoolingMode | null;
  dims: number | null;
  maxSequenceLength: number;
  batchSize: number;
}

export const DEFAULT_MAX_SEQUENCE_LENGTH = 512;
export const DEFAULT_BATCH_SIZE = 32;

/** Which output to read: a pooled sentence embedding when pooling is wanted, else token states. */
export function chooseOutput(session: InferenceSession, pooling: PoolingMode | null): string {
  const outputs = session.outputNames.map((name) => {
    const m = session.outputMetadata.find((x) => x.name === name);
    return { name, rank: m && m.isTensor ? m.shape.length : null };
  });
  return chooseOutputName(outputs, pooling);
}

export class Embedder {
  readonly output: string;
  private readonly wantsTypes: boolean;
  private readonly wantsMask: boolean;
  embedded = 0;

  constructor(
    private readonly session: InferenceSession,
    /** The tokenizer, or how to load it on first use (a load without warm-up defers it). */
    private tokenizer: TextTokenizer | null | (() => Promise<TextTokenizer>),
    private readonly Tensor: TensorCtor,
    private readonly config: EmbedderConfig,
  ) {
    this.output = chooseOutput(session, config.pooling);
    this.wantsTypes = session.inputNames.includes('token_type_ids');
    this.wantsMask = session.inputNames.includes('attention_mask');
    if (!session.inputNames.includes('input_ids')) {
      throw new ModelbayError('EMB-E202', `The model has no input_ids input (inputs: ${session.inputNames.join(', ')}); it is not a text embedding model.`, { inputs: session.inputNames });
    }
  }

  /** The tokenizer, loaded on first use when the load deferred it. */
  async ready(): Promise<TextTokenizer> {
    if (typeof this.tokenizer === 'function') this.tokenizer = await this.tokenizer();
    if (!this.tokenizer) throw new ModelbayError('EMB-E205', 'This slot has no tokenizer.json, so it cannot embed text.', {});
    return this.tokenizer;
  }

  /** Token ids of one input (text, or ids the caller tokenized), as the model will see them. */
  encode(tokenizer: TextTokenizer, input: EmbedInput): { ids: number[]; types: number[]; cut?: number } {
    return typeof input === 'string' ? tokenizer.encode(input, this.config.maxSequenceLength) : tokenizer.encodeIds(input, this.config.maxSequenceLength);
  }

  /**
   * `sparse` max-pools log(1 + relu(logits)) over the real tokens (SPLADE): one
   * vocabulary-sized vector per input, so 30k-wide token states never leave the host.
   */
  async embed(texts: ReadonlyArray<EmbedInput>, output: EmbedOutput = 'pooled', pre?: ReadonlyArray<{ ids: number[]; types: number[]; cut?: number }>): Promise<EmbedResult> {
    const tokenizer = await this.ready();
    const started = performance.now();
    const encoded = pre ?? texts.map((t) => this.encode(tokenizer, t));
    const order = encoded.map((_, i) => i).sort((a, b) => (encoded[a]?.ids.length ?? 0) - (encoded[b]?.ids.length ?? 0));
    const sparse = output === 'sparse';
    if (sparse && this.config.pooling !== 'none') {
      throw new ModelbayError('EMB-E420', 'Sparse output needs a token-level model (pooling "none", e.g. SPLADE).', { pooling: this.config.pooling });
    }
    const tokenLevel = this.config.pooling === 'none' && !sparse;
    const lengths = encoded.map((e) => e.ids.length);
    // Where each text's floats start in the result, in the caller's order.
    const starts: number[] = [];
    let dims = this.config.dims ?? 0;
    let data: Float32Array<ArrayBuffer> | null = null;
    let total = 0;
    for (let i = 0; i < order.length; i += this.config.batchSize) {
      const idx = order.slice(i, i + this.config.batchSize);
      const batch = tokenizer.pack(idx.map((k) => encoded[k] ?? { ids: [], types: [] }));
      const out = await this.run(batch);
      const d = out.dims[out.dims.length - 1] ?? 0;
      if (data === null) {
        dims = d;
        if (this.config.dims !== null && this.config.dims !== d) {
          throw new ModelbayError('EMB-E202', `The model produces ${d}-dimensional vectors; the catalog says ${this.config.dims}.`, { produced: d, expected: this.config.dims });
        }
        let offset = 0;
        for (let k = 0; k < texts.length; k++) {
          starts.push(offset);
          offset += (tokenLevel ? (lengths[k] ?? 0) : 1) * dims;
        }
        total = offset;
        data = new Float32Array(total);
      }
      const states = out.data as Float32Array;
      if (out.dims.length === 2) {
        if (tokenLevel || sparse) throw new ModelbayError('EMB-E207', 'The model returned pooled vectors where token states were expected.', {});
        normalizeRows(states, idx.length, dims, data, (row) => starts[idx[row] ?? 0] ?? 0);
      } else if (out.dims.length === 3) {
        const seq = out.dims[1] ?? batch.length;
        idx.forEach((k, b) => {
          const start = starts[k] ?? 0;
          const len = batch.lengths[b] ?? 0;
          if (sparse) spladePool(states, seq, dims, b, len, (data as Float32Array).subarray(start, start + dims));
          else if (tokenLevel) tokenVectors(states, seq, dims, b, len, (data as Float32Array).subarray(start, start + len * dims));
          else poolSequence(states, seq, dims, b, len, this.config.pooling === 'cls' ? 'cls' : 'mean', (data as Float32Array).subarray(start, start + dims));
        });
      } else {
        throw new ModelbayError('EMB-E207', `The output ${this.output} has shape [${out.dims.join(', ')}]; expected 2 or 3 dimensions.`, { dims: [...out.dims] });
      }
    }
    this.embedded += texts.length;
    // Sent only when an input was cut: the caller decides whether that was allowed.
    const truncated = encoded.some((e) => (e.cut ?? 0) > 0) ? encoded.map((e) => e.cut ?? 0) : undefined;
    return { dims, count: texts.length, data: data ?? new Float32Array(0), lengths: tokenLevel ? lengths : null, tokens: lengths, ...(truncated ? { truncated } : {}), hostMs: performance.now() - started };
  }

  private async run(batch: EncodedBatch): Promise<OrtTensor> {
    const shape = [batch.batch, batch.length];
    const feeds: Record<string, OrtTensor> = { input_ids: new this.Tensor('int64', batch.inputIds, shape) };
    if (this.wantsMask) feeds.attention_mask = new this.Tensor('int64', batch.attentionMask, shape);
    if (this.wantsTypes) feeds.token_type_ids = new this.Tensor('int64', batch.tokenTypeIds, shape);
    let result: InferenceSession.OnnxValueMapType;
    try {
      result = await this.session.run(feeds, [this.output]);
    } catch (e) {
      throw new ModelbayError('EMB-E207', `onnxruntime could not run the model: ${e instanceof Error ? e.message : String(e)}`, { batch: batch.batch, length: batch.length });
    }
    const out = result[this.output];
    if (!out || out.type !== 'float32') throw new ModelbayError('EMB-E207', `The output ${this.output} is not float32.`, {});
    return out;
  }
}
