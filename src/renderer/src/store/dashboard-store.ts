/**
 * The dashboard's vanilla zustand store: data from AppEvents (ModelState) plus UI-only
 * state. No React here, so tests drive it directly.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppEvent, CommandInput, CommandName, CommandResults, ModelbayApi } from '../../../shared/contract/api.js';
import { toSerializedError } from './command-error.js';
import { applyEvent, emptyModelState, type ModelState } from './model-state.js';
import { bulkFinished, commandFinished, commandStarted, initialUiState, type CommandKey, type UiState } from './ui-state.js';

export interface DashboardState {
  model: ModelState;
  ui: UiState;
}

export type DashboardStore = StoreApi<DashboardState>;

export function createDashboardStore(initial?: Partial<DashboardState>): DashboardStore {
  return createStore<DashboardState>()(() => ({ model: initial?.model ?? emptyModelState(), ui: initial?.ui ?? initialUiState() }));
}

export function dispatchEvent(store: DashboardStore, event: AppEvent): void {
  const { model } = store.getState();
  const next = applyEvent(model, event);
  if (next !== model) store.setState({ model: next });
}

export function updateUi(store: DashboardStore, change: (ui: UiState) => UiState): void {
  const { ui } = store.getState();
  const next = change(ui);
  if (next !== ui) store.setState({ ui: next });
}

/** Feeds the api's events into the store; returns the unsubscribe function. */
export function connectStore(store: DashboardStore, api: ModelbayApi): () => void {
  return api.subscribe((event) => dispatchEvent(store, event));
}

/**
 * Sends one command, marking `key` (a slot or GLOBAL_KEY) pending until it settles.
 * Never rejects: a failure is filed as that key's error for the card to show.
 */
export async function runCommand<K extends CommandName>(
  store: DashboardStore,
  api: ModelbayApi,
  key: CommandKey,
  command: K,
  input: CommandInput<K>,
): Promise<CommandResults[K] | null> {
  updateUi(store, (ui) => commandStarted(ui, key, command));
  try {
    // The mapped ModelbayApi type loses the link between K and its method; this restores it.
    const call = api[command] as unknown as (input: CommandInput<K>) => Promise<CommandResults[K]>;
    const result = await call.call(api, input);
    updateUi(store, (ui) => commandFinished(ui, key, command, null));
    if (command === 'downloadAll') {
      const bulk = result as CommandResults['downloadAll'];
      updateUi(store, (ui) => bulkFinished(ui, command, bulk.results));
    }
    return result;
  } catch (reason) {
    updateUi(store, (ui) => commandFinished(ui, key, command, toSerializedError(reason)));
    return null;
  }
}

/** One command with its input, as a value (e.g. planned by a form and sent later). */
export type QueuedCommand = { [K in CommandName]: { command: K; input: CommandInput<K> } }[CommandName];

/**
 * Sends commands one after another under one key, stopping at the first that fails (its
 * error is filed under `key`, like runCommand's). Resolves to how many succeeded.
 */
export async function runCommands(store: DashboardStore, api: ModelbayApi, key: CommandKey, commands: readonly QueuedCommand[]): Promise<number> {
  let done = 0;
  for (const c of commands) {
    // Every command resolves to an object, so null means it failed.
    const result = await runCommand(store, api, key, c.command, c.input as CommandInput<typeof c.command>);
    if (result === null) break;
    done++;
  }
  return done;
}
