/**
 * The answers of the serving endpoints, written in the session host straight from the
 * vectors: OpenAI's embeddings list (floats, or base64 of the float32 bytes), TEI's sparse
 * term weights and per-token vectors. Main writes these bytes to the client unchanged.
 */
import { ModelbayError } from '../../shared/errors/errors.js';
import type { EmbedResult } from '../core/runtime/protocol.js';

/** One view per input: its vector (pooled) or its [tokens × dims] block (token-level). */
function rowsOf(e: EmbedResult): Float32Array[] {
  const rows: Float32Array[] = [];
  let offset = 0;
  for (let i = 0; i < e.count; i++) {
    const n = (e.lengths ? (e.lengths[i] ?? 0) : 1) * e.dims;
    rows.push(e.data.subarray(offset, offset + n));
    offset += n;
  }
  return rows;
}

/**
 * `dimensions` as OpenAI's text-embedding-3 does it: keep the first d components and
 * renormalise (Matryoshka truncation). More than the model has cannot be made up: 400.
 */
export function truncateDims(e: EmbedResult, dimensions: number | undefined): Float32Array[] {
  const rows = rowsOf(e);
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

const bigEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/** Little-endian float32 bytes, as OpenAI's clients decode `encoding_format: "base64"`. */
export function toBase64(v: Float32Array): string {
  const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (bigEndian) {
    const copy = Buffer.from(bytes);
    copy.swap32();
    return copy.toString('base64');
  }
  return bytes.toString('base64');
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

/** TEI's /embed_sparse answer: per text, its non-zero weights as {index, value}; the k largest when top_k is set. */
export function sparseAnswer(e: EmbedResult, topK: number | undefined): Array<Array<{ index: number; value: number }>> {
  return rowsOf(e).map((row) => {
    const terms: Array<{ index: number; value: number }> = [];
    row.forEach((value, index) => {
      if (value > 0) terms.push({ index, value });
    });
    if (topK === undefined || terms.length <= topK) return terms;
    return terms.sort((a, b) => b.value - a.value).slice(0, topK).sort((a, b) => a.index - b.index);
  });
}

/** TEI's /embed_all answer: per text, one vector per token. */
export function tokenVectorsAnswer(e: EmbedResult): number[][][] {
  return rowsOf(e).map((block) => {
    const text: number[][] = [];
    for (let at = 0; at < block.length; at += e.dims) text.push(Array.from(block.subarray(at, at + e.dims)));
    return text;
  });
}
