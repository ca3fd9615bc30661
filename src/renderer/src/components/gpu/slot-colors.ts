import { SLOT_IDS, type SlotId } from '../../../../shared/slots/slots.js';

/** One colour per slot, defined in styles.css for light and dark (a test keeps all 13 apart). */
export const SLOT_COLORS: Readonly<Record<SlotId, string>> = Object.fromEntries(SLOT_IDS.map((id) => [id, `var(--slot-${id.toLowerCase()})`])) as Record<SlotId, string>;
