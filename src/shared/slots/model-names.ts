/**
 * Public model names: a slot is addressed by its alias (a name the user chose, e.g.
 * "minilm" — the model name in the serving API, the CLI and the UI) or by its id (E1).
 * Internal ids stay stable; an alias can change at any time. A request resolves its name
 * once, on arrival, and works with the slot id from then on: renaming a slot never breaks
 * a request already running.
 */
import { ModelbayError } from '../errors/errors.js';
import type { Settings } from '../settings/settings.js';
import { isSlotId, SLOT_IDS, type SlotId } from './slots.js';
import { aliasProblem } from '../values/values.js';

/** Every slot's alias (slots without one are absent). */
export function aliasesOf(settings: Pick<Settings, 'slots'>): Partial<Record<SlotId, string>> {
  const out: Partial<Record<SlotId, string>> = {};
  for (const id of SLOT_IDS) {
    const alias = settings.slots[id]?.alias;
    if (alias) out[id] = alias;
  }
  return out;
}

/** The name a slot is shown and served under: its alias, else its id. */
export function publicModelName(slot: SlotId, settings: Pick<Settings, 'slots'>): string {
  return settings.slots[slot]?.alias ?? slot;
}

/**
 * Why `alias` cannot be given to `slot`: its form (EMB-E020), a slot id of another slot
 * (it would shadow it), or another slot already carrying it (EMB-E021). null when fine.
 */
export function aliasConflict(slot: SlotId, alias: string, settings: Pick<Settings, 'slots'>): ModelbayError | null {
  const problem = aliasProblem(alias);
  if (problem) return new ModelbayError('EMB-E020', `"${alias.slice(0, 80)}" cannot be an alias: ${problem}.`, { slot, alias: alias.slice(0, 80) });
  const asId = alias.toUpperCase();
  if (isSlotId(asId) && asId !== slot) {
    return new ModelbayError('EMB-E020', `"${alias}" is the id of ${asId}: an alias may not name another slot.`, { slot, alias });
  }
  const holder = SLOT_IDS.find((id) => id !== slot && settings.slots[id]?.alias === alias);
  if (holder) return new ModelbayError('EMB-E021', `"${alias}" is already the alias of ${holder}; rename ${holder} first or choose another name.`, { slot, alias, holder });
  return null;
}

/** The first alias conflict in a whole settings object (a patch may set several slots at once). */
export function aliasesConflict(settings: Pick<Settings, 'slots'>): ModelbayError | null {
  for (const id of SLOT_IDS) {
    const alias = settings.slots[id]?.alias;
    if (!alias) continue;
    const conflict = aliasConflict(id, alias, settings);
    if (conflict) return conflict;
  }
  return null;
}
