/**
 * Commands that only read or try something (previewLoad, embed): no pending state and no
 * card error in the store, so hovering a button never disables the card.
 */
import { useCallback, useContext } from 'react';
import type { CommandInput, CommandName, CommandResults } from '../../../shared/contract/api.js';
import type { SerializedError } from '../../../shared/errors/errors.js';
import { toSerializedError } from './command-error.js';
import { DashboardContext } from './use-dashboard.js';

export type QueryResult<K extends CommandName> = { ok: true; result: CommandResults[K] } | { ok: false; error: SerializedError };

export function useQuery(): <K extends CommandName>(command: K, input: CommandInput<K>) => Promise<QueryResult<K>> {
  const api = useContext(DashboardContext)?.api;
  return useCallback(
    async <K extends CommandName>(command: K, input: CommandInput<K>): Promise<QueryResult<K>> => {
      try {
        if (!api) throw new Error('DashboardContext is missing.');
        const call = api[command] as unknown as (input: CommandInput<K>) => Promise<CommandResults[K]>;
        return { ok: true, result: await call.call(api, input) };
      } catch (reason) {
        return { ok: false, error: toSerializedError(reason) };
      }
    },
    [api],
  );
}
