/**
 * Tokenization for the embedder (runs in the host process, never in main): a Hugging Face
 * tokenizer.json through @huggingface/tokenizers, truncated to the model's maximum length
 * and padded into the int64 tensors onnxruntime wants.
 */
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelbayError } from '../../shared/errors/errors.js';

export interface EncodedBatch {
  batch: number;
  length: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** Real (unpadded) tokens per text. */
  lengths: number[];
}

/** Which 32-bit half of an int64 holds its low word on this machine. */
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

export class TextTokenizer {
  private readonly padId: number;
  private readonly specialIds: ReadonlySet<number>;
  private vocabLimit: number | undefined;

  private constructor(private readonly tokenizer: Tokenizer) {
    const special = new Set<number>();
    for (const [tokenId, token] of tokenizer.get_added_tokens_decoder()) if (token.special) special.add(tokenId);
    this.specialIds = special;
    this.padId = tokenizer.token_to_id('[PAD]') ?? tokenizer.token_to_id('<pad>') ?? 0;
  }

  static async fromFile(path: string): Promise<TextTokenizer> {
    let json: unknown;
    let config: unknown = {};
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (e) {
      throw new ModelbayError('EMB-E205', `The tokenizer file ${path} cannot be read as JSON: download the slot's files again.`, { path, reason: String(e) });
    }
    try {
      // tokenizer_config.json beside it carries flags such as lower-casing for some models.
      config = JSON.parse(await readFile(path.replace(/tokenizer\.json$/, 'tokenizer_config.json'), 'utf8'));
    } catch {
      config = {};
    }
    try {
      if (typeof json !== 'object' || json === null || !('model' in json)) throw new Error('no "model" section');
      return new TextTokenizer(new Tokenizer(json, typeof config === 'object' && config !== null ? config : {}));
    } catch (e) {
      throw new ModelbayError('EMB-E205', `The tokenizer ${path} is not a tokenizer.json this version understands: ${e instanceof Error ? e.message : String(e)}.`, { path });
    }
  }

  /** Token ids of one text with special tokens, truncated to `maxLength`. */
  encode(text: string, maxLength: number): { ids: number[]; types: number[] } {
    const enc = this.tokenizer.encode(text, { add_special_tokens: true, return_token_type_ids: true });
    let ids = enc.ids;
    let types = enc.token_type_ids;
    if (ids.some((x) => typeof x !== 'number')) {
      throw new ModelbayError('EMB-E205', 'The tokenizer produced a token without an id: its vocabulary is incomplete.', { text: text.slice(0, 80) });
    }
    if (ids.length > maxLength) {
      const last = ids[ids.length - 1];
      const keepClosing = last !== undefined && this.specialIds.has(last);
      ids = keepClosing ? [...ids.slice(0, maxLength - 1), last] : ids.slice(0, maxLength);
      types = types.slice(0, maxLength);
    }
    return { ids, types };
  }

  /** One past the largest token id: token-array inputs must stay below it. */
  get vocabSize(): number {
    this.vocabLimit ??= Math.max(-1, ...this.tokenizer.get_vocab(true).values()) + 1;
    return this.vocabLimit;
  }

  /** Token ids given by the caller (OpenAI's token-array input): checked against the vocabulary, truncated like text. */
  encodeIds(ids: ReadonlyArray<number>, maxLength: number): { ids: number[]; types: number[] } {
    const limit = this.vocabSize;
    const bad = ids.find((x) => !Number.isInteger(x) || x < 0 || x >= limit);
    if (bad !== undefined) {
      throw new ModelbayError('EMB-E208', `Token id ${bad} is outside this model's vocabulary (0…${limit - 1}).`, { token: bad, vocabSize: limit });
    }
    if (ids.length === 0) throw new ModelbayError('EMB-E208', 'A token-array input is empty.', {});
    const kept = ids.slice(0, maxLength);
    return { ids: kept, types: kept.map(() => 0) };
  }

  /** Pads a batch to its longest member. */
  encodeBatch(texts: ReadonlyArray<string>, maxLength: number): EncodedBatch {
    const encoded = texts.map((t) => this.encode(t, maxLength));
    return this.pack(encoded);
  }

  /**
   * Pads a batch into the int64 tensors' buffers. Ids and types are small non-negative
   * integers, so only each int64's low 32-bit word is written (through an Int32Array view):
   * a BigInt per token cost more than the rest of the packing.
   */
  pack(encoded: ReadonlyArray<{ ids: number[]; types: number[] }>): EncodedBatch {
    const batch = encoded.length;
    let length = 1;
    for (const e of encoded) length = Math.max(length, e.ids.length);
    const inputIds = new BigInt64Array(batch * length).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(batch * length);
    const tokenTypeIds = new BigInt64Array(batch * length);
    const ids32 = new Int32Array(inputIds.buffer);
    const mask32 = new Int32Array(attentionMask.buffer);
    const types32 = new Int32Array(tokenTypeIds.buffer);
    const low = LOW_WORD;
    const lengths: number[] = [];
    encoded.forEach((e, b) => {
      const n = e.ids.length;
      lengths.push(n);
      for (let i = 0, at = 2 * b * length + low; i < n; i++, at += 2) {
        ids32[at] = e.ids[i] ?? 0;
        mask32[at] = 1;
        types32[at] = e.types[i] ?? 0;
      }
    });
    return { batch, length, inputIds, attentionMask, tokenTypeIds, lengths };
  }
}
