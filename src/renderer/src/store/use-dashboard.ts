/** The thin React binding: components read the vanilla store through selectors. */
import { createContext, useCallback, useContext } from 'react';
import { useStore } from 'zustand';
import type { CommandInput, CommandName, CommandResults, ModelbayApi } from '../../../shared/contract/api.js';
import { runCommand, runCommands, updateUi, type DashboardState, type DashboardStore, type QueuedCommand } from './dashboard-store.js';
import type { CommandKey, UiState } from './ui-state.js';

export interface DashboardContextValue {
  store: DashboardStore;
  api: ModelbayApi;
}

export const DashboardContext = createContext<DashboardContextValue | null>(null);

function useDashboardContext(): DashboardContextValue {
  const value = useContext(DashboardContext);
  if (!value) throw new Error('DashboardContext is missing: render components inside <DashboardContext value=…>.');
  return value;
}

export function useDashboard<T>(selector: (state: DashboardState) => T): T {
  return useStore(useDashboardContext().store, selector);
}

export type SendCommand = <K extends CommandName>(key: CommandKey, command: K, input: CommandInput<K>) => void;

/** Sends a command; its pending state and error land in the store for `key`'s card. */
export function useCommand(): SendCommand {
  const { store, api } = useDashboardContext();
  return useCallback<SendCommand>(
    (key, command, input) => {
      void runCommand(store, api, key, command, input);
    },
    [store, api],
  );
}

export function useUiUpdate(): (change: (ui: UiState) => UiState) => void {
  const { store } = useDashboardContext();
  return useCallback((change: (ui: UiState) => UiState) => updateUi(store, change), [store]);
}

export type CallCommand = <K extends CommandName>(key: CommandKey, command: K, input: CommandInput<K>) => Promise<CommandResults[K] | null>;

/** Like useCommand, for callers that act on the result (null when the command failed). */
export function useCommandResult(): CallCommand {
  const { store, api } = useDashboardContext();
  return useCallback<CallCommand>((key, command, input) => runCommand(store, api, key, command, input), [store, api]);
}

/** Sends commands in order under one key; resolves to how many succeeded before the first failure. */
export function useCommandSequence(): (key: CommandKey, commands: readonly QueuedCommand[]) => Promise<number> {
  const { store, api } = useDashboardContext();
  return useCallback((key: CommandKey, commands: readonly QueuedCommand[]) => runCommands(store, api, key, commands), [store, api]);
}
