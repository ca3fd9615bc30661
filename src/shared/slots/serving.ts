/**
 * What kind of vectors a slot serves, and which endpoint serves it. One rule for the
 * /v1 routes, the CLI and the model list: SPLADE slots give sparse term weights,
 * token-level slots give one vector per token (ColBERT), the rest one dense vector.
 */
import type { CatalogSlotView } from '../artifacts/artifacts.js';
import { SLOT_IDS, type SlotId } from './slots.js';

export type ServingKind = 'dense' | 'sparse' | 'multi-vector';

/** The slots whose token-level model is a SPLADE vocabulary head (E6 Sparse, E13 KeywordSplade). */
export const SPARSE_SLOTS: ReadonlySet<SlotId> = new Set<SlotId>(['E6', 'E13']);

export const ENDPOINT_FOR_KIND: Readonly<Record<ServingKind, string>> = {
  dense: '/v1/embeddings',
  sparse: '/embed_sparse',
  'multi-vector': '/embed_all',
};

export function servingKind(slot: SlotId, pooling: CatalogSlotView['pooling']): ServingKind {
  if (pooling !== 'none') return 'dense';
  return SPARSE_SLOTS.has(slot) ? 'sparse' : 'multi-vector';
}

/**
 * The one model-name resolver (serving API, CLI): a slot's alias (exact), its id (`E1`,
 * `e1`), its name (`Semantic`, any case), or a repo id when one slot alone holds it. A
 * request resolves its name once, on arrival: renaming a slot never breaks it.
 */
export function resolveModelName(model: string, slots: ReadonlyArray<{ id: SlotId; name: string; repo: string | null; alias?: string | null }>): SlotId | null {
  const m = model.trim();
  const byAlias = slots.find((s) => s.alias && s.alias === m);
  if (byAlias) return byAlias.id;
  const upper = m.toUpperCase();
  const byId = SLOT_IDS.find((id) => id === upper);
  if (byId) return byId;
  const lower = m.toLowerCase();
  const byName = slots.find((s) => s.name.toLowerCase() === lower);
  if (byName) return byName.id;
  const byRepo = slots.filter((s) => s.repo !== null && s.repo.toLowerCase() === lower);
  return byRepo.length === 1 ? (byRepo[0]?.id ?? null) : null;
}
