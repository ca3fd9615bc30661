/** What "Try it" shows of an embedding: enough to see the model works, not a wall of numbers. */
export interface EmbeddingSummary {
  dims: number;
  /** Euclidean length: ≈ 1 for models that normalise their output. */
  norm: number;
  first: number[];
  /** Token-level models return tokens × dims, flattened. */
  rows: number;
  latencyMs: number;
}

export function summarizeEmbedding(vector: readonly number[], dims: number, latencyMs: number, firstCount = 8): EmbeddingSummary {
  const head = vector.slice(0, dims);
  const norm = Math.sqrt(head.reduce((s, v) => s + v * v, 0));
  return { dims, norm, first: head.slice(0, firstCount), rows: dims > 0 ? Math.round(vector.length / dims) : 0, latencyMs };
}

export function formatValue(v: number): string {
  return (v >= 0 ? ' ' : '') + v.toFixed(4);
}
