/** What only the dashboard knows: selection, open panels, commands in flight and their errors. */
import type { ActivityKind } from '../../../shared/contract/activity.js';
import type { CommandName } from '../../../shared/contract/api.js';
import type { SerializedError } from '../../../shared/errors/errors.js';
import type { SlotId } from '../../../shared/slots/slots.js';

/** Commands that act on no slot are filed under this key. */
export const GLOBAL_KEY = 'app';
/** Settings and token commands, so their errors show in the settings dialog. */
export const SETTINGS_KEY = 'settings';
/** The slot configuration dialog's commands, so their errors show on its fields rather than on the card. */
export const SLOT_CONFIG_KEY = 'slot-config';
/** The On-disk view's commands (scan, assign, delete a revision). */
export const DISK_KEY = 'disk';
export type CommandKey = SlotId | typeof GLOBAL_KEY | typeof SETTINGS_KEY | typeof SLOT_CONFIG_KEY | typeof DISK_KEY;

export interface UiState {
  selectedSlot: SlotId | null;
  /** GPU cards showing their process list, by GPU index. */
  expandedGpus: number[];
  settingsOpen: boolean;
  /** The slot whose configuration dialog is open. */
  configSlot: SlotId | null;
  /** The device the VRAM chart shows; null = the first device with history. */
  chartDevice: string | null;
  /** Kinds hidden from the event log; empty = show all. */
  activityFilter: ActivityKind | 'all';
  /** The command in flight per slot (or GLOBAL_KEY). */
  pending: Partial<Record<CommandKey, CommandName>>;
  /** The last failed command's error per slot (or GLOBAL_KEY), until the next command there. */
  errors: Partial<Record<CommandKey, { command: CommandName; error: SerializedError }>>;
}

export function initialUiState(): UiState {
  return { selectedSlot: null, expandedGpus: [], settingsOpen: false, configSlot: null, chartDevice: null, activityFilter: 'all', pending: {}, errors: {} };
}

export function commandStarted(ui: UiState, key: CommandKey, command: CommandName): UiState {
  const errors = { ...ui.errors };
  delete errors[key];
  return { ...ui, pending: { ...ui.pending, [key]: command }, errors };
}

export function commandFinished(ui: UiState, key: CommandKey, command: CommandName, error: SerializedError | null): UiState {
  const pending = { ...ui.pending };
  if (pending[key] === command) delete pending[key];
  const errors = error ? { ...ui.errors, [key]: { command, error } } : ui.errors;
  return { ...ui, pending, errors };
}

export function dismissError(ui: UiState, key: CommandKey): UiState {
  if (!ui.errors[key]) return ui;
  const errors = { ...ui.errors };
  delete errors[key];
  return { ...ui, errors };
}

/** Opens a slot's configuration dialog without the last slot's leftover error. */
export function openSlotConfig(ui: UiState, slot: SlotId | null): UiState {
  return { ...dismissError(ui, SLOT_CONFIG_KEY), configSlot: slot };
}

export function toggleGpu(ui: UiState, index: number): UiState {
  const open = ui.expandedGpus.includes(index);
  return { ...ui, expandedGpus: open ? ui.expandedGpus.filter((i) => i !== index) : [...ui.expandedGpus, index] };
}

/** A bulk command (downloadAll) succeeds as a whole but may fail per slot: file each failure on its card. */
export function bulkFinished(ui: UiState, command: CommandName, results: ReadonlyArray<{ slot: SlotId; ok: boolean; error?: SerializedError }>): UiState {
  // A slot with no model is skipped, not failed: its card already says "choose a model".
  const failed = results.filter((r) => !r.ok && r.error && r.error.details['skipped'] !== 'no-model');
  if (failed.length === 0) return ui;
  const errors = { ...ui.errors };
  for (const r of failed) errors[r.slot] = { command, error: r.error as SerializedError };
  return { ...ui, errors };
}
