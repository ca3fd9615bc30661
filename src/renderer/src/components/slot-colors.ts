import { SLOT_IDS, type SlotId } from '../../../shared/slots.js';

/** One hue per slot, spread round the wheel so neighbours in the stack differ. */
export const SLOT_COLORS: Readonly<Record<SlotId, string>> = Object.fromEntries(
  SLOT_IDS.map((id, i) => [id, `hsl(${Math.round((i * 137.5) % 360)} 62% 52%)`]),
) as Record<SlotId, string>;
