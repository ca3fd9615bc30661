/** The 13 slots of Modelbay. Their ids and names are part of the contract with users' configs. */
export const SLOT_IDS = ['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9', 'E10', 'E11', 'E12', 'E13'] as const;

export type SlotId = (typeof SLOT_IDS)[number];

export const SLOT_NAMES: Readonly<Record<SlotId, string>> = {
  E1: 'Semantic',
  E2: 'TemporalRecent',
  E3: 'TemporalPeriodic',
  E4: 'TemporalPositional',
  E5: 'Causal',
  E6: 'Sparse',
  E7: 'Code',
  E8: 'Graph',
  E9: 'Hdc',
  E10: 'Multimodal',
  E11: 'Entity',
  E12: 'LateInteraction',
  E13: 'KeywordSplade',
};

export const SLOT_COUNT = SLOT_IDS.length;

const slotIdSet: ReadonlySet<string> = new Set(SLOT_IDS);

export function isSlotId(value: unknown): value is SlotId {
  return typeof value === 'string' && slotIdSet.has(value);
}

/** Slot ids sorted by their number (E2 before E10). */
export function compareSlotIds(a: SlotId, b: SlotId): number {
  return Number(a.slice(1)) - Number(b.slice(1));
}
