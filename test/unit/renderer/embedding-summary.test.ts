import { describe, expect, it } from 'vitest';
import { formatValue, summarizeEmbedding } from '../../../src/renderer/src/display/embedding-summary.js';

describe('summarizeEmbedding', () => {
  it('dims, norm of the first vector, its first values, rows for token-level output, latency', () => {
    const s = summarizeEmbedding([0.6, 0.8, 0, 0, 1, 1, 1, 1], 4, 12.5, 3);
    expect(s).toEqual({ dims: 4, norm: 1, first: [0.6, 0.8, 0], rows: 2, latencyMs: 12.5 });
    expect(formatValue(-0.12345)).toBe('-0.1235');
    expect(formatValue(0.5)).toBe(' 0.5000');
  });
});
