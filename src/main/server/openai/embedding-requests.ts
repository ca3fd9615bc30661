/**
 * The bodies of the serving endpoints: OpenAI's /v1/embeddings and TEI-style
 * /embed_sparse and /embed_all. Validated here (zod), limited like the dashboard's embed
 * command (MAX_EMBED_TEXTS inputs of MAX_EMBED_CHARS characters, else 413), and turned
 * into OpenAI's or TEI's answer shapes from binary vectors.
 */
import { z } from 'zod';
import { MAX_EMBED_CHARS, MAX_EMBED_TEXTS } from '../../../shared/contract/api.js';
import { ModelbayError } from '../../../shared/errors/errors.js';
import { count } from '../../../shared/values/counts.js';
import type { EmbedInput, Embeddings } from '../../core/runtime/index.js';

const tokenIds = z.array(z.number().int().nonnegative()).min(1);
const inputs = z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)]);

/** OpenAI's body; unknown fields (`user`, vendor extras) are ignored as OpenAI does. */
export const EmbeddingsBodySchema = z.object({
  model: z.string().min(1).max(256),
  input: inputs,
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  /** As text-embeddings-inference: cut inputs past the model's maximum length instead of refusing them. */
  truncate: z.boolean().optional(),
}).loose();

/** TEI's body (`inputs`), plus the slot to use: one server holds thirteen models. */
export const TeiBodySchema = z.object({
  model: z.string().min(1).max(256),
  inputs,
  /** /embed_sparse: keep only the k largest weights per text. */
  top_k: z.number().int().positive().max(1_000_000).optional(),
  truncate: z.boolean().optional(),
}).loose();

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const path = first?.path.join('.') ?? '';
    throw new ModelbayError('EMB-E401', `Invalid request: ${path || 'body'}: ${first?.message ?? 'invalid value'}.`, { param: path || null });
  }
  return parsed.data;
}

/** One input or many, as a list; 413 past the limits the dashboard's embed command has too. */
export function inputList(input: z.infer<typeof inputs>): EmbedInput[] {
  const list: EmbedInput[] = typeof input === 'string' ? [input] : isTokenArray(input) ? [input] : input;
  if (list.length > MAX_EMBED_TEXTS) {
    throw new ModelbayError('EMB-E405', `The request has ${count(list.length, 'input')}; send at most ${MAX_EMBED_TEXTS} per request.`, { inputs: list.length, limit: MAX_EMBED_TEXTS, param: 'input' });
  }
  list.forEach((item, i) => {
    if (item.length > MAX_EMBED_CHARS) {
      const unit = typeof item === 'string' ? 'characters' : 'tokens';
      throw new ModelbayError('EMB-E405', `Input ${i} has ${item.length} ${unit}; the limit is ${MAX_EMBED_CHARS}.`, { index: i, length: item.length, limit: MAX_EMBED_CHARS, param: 'input' });
    }
  });
  return list;
}

function isTokenArray(v: unknown[]): v is number[] {
  return v.length > 0 && typeof v[0] === 'number';
}

/**
 * `dimensions` as OpenAI's text-embedding-3 does it: keep the first d components and
 * renormalise (Matryoshka truncation). More than the model has cannot be made up: 400.
 */
export function truncateDims(e: Embeddings, dimensions: number | undefined): Float32Array[] {
  const rows = splitRows(e);
  if (dimensions === undefined || dimensions === e.dims) return rows;
  if (dimensions > e.dims) {
    throw new ModelbayError('EMB-E422', `This model gives ${e.dims}-dimensional vectors; dimensions must be at most ${e.dims}.`, { dims: e.dims, requested: dimensions, param: 'dimensions' });
  }
  return rows.map((row) => {
    const out = row.slice(0, dimensions);
    let ss = 0;
    for (const x of out) ss += x * x;
    const n = Math.max(Math.sqrt(ss), 1e-12);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / n;
    return out;
  });
}

function splitRows(e: Embeddings): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let i = 0; i < e.count; i++) rows.push(e.data.subarray(i * e.dims, (i + 1) * e.dims));
  return rows;
}

/** Little-endian float32 bytes, as OpenAI's clients decode `encoding_format: "base64"`. */
export function toBase64(v: Float32Array): string {
  const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (isBigEndian()) {
    const copy = Buffer.from(bytes);
    copy.swap32();
    return copy.toString('base64');
  }
  return bytes.toString('base64');
}

let bigEndian: boolean | undefined;
function isBigEndian(): boolean {
  bigEndian ??= new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;
  return bigEndian;
}

/**
 * OpenAI's embeddings answer as JSON text, written straight from the vectors: base64 from
 * each Float32Array's bytes, floats as JSON.stringify writes numbers, without building
 * the answer's objects and arrays first (for 16 vectors × 384 that was most of the work).
 * `truncated`: how many inputs were cut, reported when the request allowed it (`truncate: true`).
 */
export function openAiEmbeddingsJson(model: string, rows: Float32Array[], format: 'float' | 'base64', tokens: number, truncated?: number): string {
  let out = '{"object":"list","data":[';
  rows.forEach((row, index) => {
    out += `${index === 0 ? '' : ','}{"object":"embedding","index":${index},"embedding":`;
    out += format === 'base64' ? `"${toBase64(row)}"}` : `${floatList(row)}}`;
  });
  const cut = truncated === undefined ? '' : `,"truncated":${truncated}`;
  return `${out}],"model":${JSON.stringify(model)},"usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}${cut}}}`;
}

/** A JSON array of the floats, as JSON.stringify(Array.from(v)) writes it (non-finite values as null). */
function floatList(v: Float32Array): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    out += (i === 0 ? '' : ',') + (Number.isFinite(x) ? String(x) : 'null');
  }
  return `${out}]`;
}

/**
 * An input longer than the model takes is refused unless the request allowed cutting it
 * (OpenAI answers 400 past the context length; text-embeddings-inference refuses unless
 * `truncate` is set). Returns how many inputs were cut.
 */
export function checkTruncation(e: Embeddings, slot: string, allowed: boolean, param: string): number {
  const cut = e.truncated ?? [];
  const first = cut.findIndex((n) => n > 0);
  if (first >= 0 && !allowed) {
    const limit = e.tokens?.[first] ?? 0;
    const tokens = limit + (cut[first] ?? 0);
    throw new ModelbayError('EMB-E430', `Input ${first} has ${count(tokens, 'token')}; ${slot}'s model takes at most ${limit}: shorten it, or send "truncate": true to embed its first ${limit} tokens.`, { index: first, tokens, limit, param });
  }
  return cut.filter((n) => n > 0).length;
}

/** TEI's /embed_sparse answer: per text, its non-zero weights as {index, value}; the k largest when top_k is set. */
export function sparseAnswer(e: Embeddings, topK: number | undefined): Array<Array<{ index: number; value: number }>> {
  return splitRows(e).map((row) => {
    const terms: Array<{ index: number; value: number }> = [];
    row.forEach((value, index) => {
      if (value > 0) terms.push({ index, value });
    });
    if (topK === undefined || terms.length <= topK) return terms;
    return terms.sort((a, b) => b.value - a.value).slice(0, topK).sort((a, b) => a.index - b.index);
  });
}

/** TEI's /embed_all answer: per text, one vector per token. */
export function tokenVectorsAnswer(e: Embeddings): number[][][] {
  const out: number[][][] = [];
  let offset = 0;
  for (let i = 0; i < e.count; i++) {
    const n = e.lengths?.[i] ?? 1;
    const text: number[][] = [];
    for (let t = 0; t < n; t++) {
      text.push(Array.from(e.data.subarray(offset, offset + e.dims)));
      offset += e.dims;
    }
    out.push(text);
  }
  return out;
}

export function tokenCount(e: Embeddings, inputs: ReadonlyArray<EmbedInput>): number {
  return e.tokens ? e.tokens.reduce((a, b) => a + b, 0) : inputs.length;
}
