/** setAlias: a slot's public name, unique across slots, checked again inside the settings queue so two renames cannot race. */
import type { AliasResult, CommandArgs } from '../../shared/contract/api.js';
import { aliasConflict } from '../../shared/slots/model-names.js';
import type { SlotId } from '../../shared/slots/slots.js';
import type { SettingsStore } from '../core/state/settings-store.js';

export interface AliasHandlerDeps {
  settings: SettingsStore;
  /** After the alias is saved: tell the dashboard (settings event) and the activity log. */
  changed: (slot: SlotId, alias: string | null, before: string | null) => void;
}

export function createAliasHandlers(d: AliasHandlerDeps): { setAlias: (args: CommandArgs<'setAlias'>) => Promise<AliasResult> } {
  return {
    setAlias: async ({ slot, alias }) => {
      const before = d.settings.get().slots[slot]?.alias ?? null;
      const check = (): void => {
        if (alias === null) return;
        const conflict = aliasConflict(slot, alias, d.settings.get());
        if (conflict) throw conflict;
      };
      // Fail fast with the precise code before queueing; the queue checks again against what is saved by then.
      check();
      await d.settings.updateSlot(slot, { alias }, (next) => {
        if (alias === null) return;
        const conflict = aliasConflict(slot, alias, next);
        if (conflict) throw conflict;
      });
      if (before !== alias) d.changed(slot, alias, before);
      return { slot, alias, name: alias ?? slot };
    },
  };
}
