/** What a slot card's status area shows: the freshest thing, never a failure the slot has moved past. */
import type { SlotDownloadProgress } from '../../../shared/artifacts/artifacts.js';
import type { SerializedError } from '../../../shared/errors/errors.js';
import { BUSY_STATES, DOWNLOAD_STATES, type SlotSnapshot } from '../../../shared/slots/state.js';
import { isDownloadActive } from './selectors.js';

export type SlotNotice =
  | { kind: 'error'; error: SerializedError; fromCommand: boolean }
  | { kind: 'download'; download: SlotDownloadProgress }
  | null;

/**
 * Work in progress wins over any error: the snapshot keeps a slot's last load error
 * until the next successful load, and a bulk command files its failures on the card, so
 * a slot that is downloading again would otherwise still show why it failed before.
 */
export function slotNotice(slot: SlotSnapshot, commandError: SerializedError | undefined, download: SlotDownloadProgress | undefined): SlotNotice {
  const downloading = download !== undefined && (isDownloadActive(download) || DOWNLOAD_STATES.has(slot.state));
  if (downloading) return { kind: 'download', download };
  if (BUSY_STATES.has(slot.state)) return null;
  if (commandError) return { kind: 'error', error: commandError, fromCommand: true };
  if (slot.error) return { kind: 'error', error: slot.error, fromCommand: false };
  return null;
}
