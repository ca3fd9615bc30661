/**
 * Which output of an embedding model carries its vectors: a pooled `[batch, dims]`
 * sentence embedding when pooling is wanted, else the token states `[batch, seq, dims]`.
 * One rule for the session host (which reads the outputs from onnxruntime) and the
 * cluster export (which reads them from the ONNX graph), so both serve the same tensor.
 */
import { ModelbayError } from '../../../shared/errors/errors.js';
import type { PoolingMode } from './protocol.js';

/** An output's name and rank (null when unknown). */
export interface OutputInfo {
  name: string;
  rank: number | null;
}

export function chooseOutputName(outputs: ReadonlyArray<OutputInfo>, pooling: PoolingMode | null): string {
  const names = outputs.map((o) => o.name);
  const rankOf = (name: string): number | null => outputs.find((o) => o.name === name)?.rank ?? null;
  const tokenLevel = names.find((n) => n === 'last_hidden_state' || n === 'token_embeddings') ?? names.find((n) => rankOf(n) === 3);
  if (pooling === 'none') {
    if (!tokenLevel) throw new ModelbayError('EMB-E202', `Token-level pooling needs a [batch, sequence, dims] output; this model has ${names.join(', ')}.`, { outputs: names });
    return tokenLevel;
  }
  const pooled = names.find((n) => n === 'sentence_embedding') ?? names.find((n) => rankOf(n) === 2 && n !== 'pooler_output');
  const chosen = pooled ?? tokenLevel ?? names[0];
  if (chosen === undefined) throw new ModelbayError('EMB-E202', 'The model declares no outputs.', {});
  return chosen;
}
