/**
 * Pooling and normalisation of model outputs. Models that end in a pooled
 * `sentence_embedding` are only re-normalised; models that expose token states are
 * pooled here as the catalog says (mean over real tokens, the CLS token, or none: one
 * normalised vector per token for late-interaction models).
 */
import type { PoolingMode } from '../core/runtime/protocol.js';

export function l2normalizeInPlace(v: Float32Array): void {
  let ss = 0;
  for (const x of v) ss += x * x;
  const n = Math.max(Math.sqrt(ss), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / n;
}

/** [batch, dims] → normalised copy rows. */
export function normalizeRows(data: Float32Array, batch: number, dims: number, out: Float32Array, outOffset: (row: number) => number): void {
  for (let b = 0; b < batch; b++) {
    const row = out.subarray(outOffset(b), outOffset(b) + dims);
    row.set(data.subarray(b * dims, (b + 1) * dims));
    l2normalizeInPlace(row);
  }
}

/** Pool [batch, seq, dims] states into one normalised vector per sequence. */
export function poolSequence(
  states: Float32Array,
  seq: number,
  dims: number,
  b: number,
  realLength: number,
  mode: Exclude<PoolingMode, 'none'>,
  out: Float32Array,
): void {
  const base = b * seq * dims;
  out.fill(0);
  if (mode === 'cls') {
    out.set(states.subarray(base, base + dims));
  } else {
    const n = Math.max(realLength, 1);
    for (let t = 0; t < realLength; t++) {
      const off = base + t * dims;
      for (let j = 0; j < dims; j++) out[j] = (out[j] ?? 0) + (states[off + j] ?? 0);
    }
    for (let j = 0; j < dims; j++) out[j] = (out[j] ?? 0) / n;
  }
  l2normalizeInPlace(out);
}

/** Token-level output: the real tokens' states, each normalised, written to `out`. */
export function tokenVectors(states: Float32Array, seq: number, dims: number, b: number, realLength: number, out: Float32Array): void {
  const base = b * seq * dims;
  out.set(states.subarray(base, base + realLength * dims));
  for (let t = 0; t < realLength; t++) l2normalizeInPlace(out.subarray(t * dims, (t + 1) * dims));
}

/** SPLADE's term weights: max over the real tokens of log(1 + relu(logit)), not normalised. */
export function spladePool(states: Float32Array, seq: number, dims: number, b: number, realLength: number, out: Float32Array): void {
  const base = b * seq * dims;
  out.fill(0);
  for (let t = 0; t < realLength; t++) {
    const off = base + t * dims;
    for (let j = 0; j < dims; j++) {
      const x = states[off + j] ?? 0;
      if (x > 0) {
        const w = Math.log1p(x);
        if (w > (out[j] ?? 0)) out[j] = w;
      }
    }
  }
}
