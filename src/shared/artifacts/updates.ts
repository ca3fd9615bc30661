/**
 * Whether a slot's model has a newer revision on the Hub: the commit the slot uses now,
 * the commit its branch points to on the Hub, and what an update would download.
 * Offline or unreachable is `unknown`, never an error of the slot.
 */
import type { SerializedError } from '../errors/errors.js';
import type { SlotId } from '../slots/slots.js';

export type UpdateStatus = 'up-to-date' | 'update-available' | 'not-downloaded' | 'unknown';

export interface SlotUpdate {
  slot: SlotId;
  repo: string;
  /** What the slot is pinned to (a branch, tag or commit). */
  revision: string;
  /** The branch compared with the Hub: the revision itself, or `main` for a slot pinned to a commit. */
  branch: string;
  /** The commit on disk now; null when not downloaded. */
  currentCommit: string | null;
  /** What the branch points to on the Hub; null when unknown. */
  remoteCommit: string | null;
  status: UpdateStatus;
  /** Bytes whose content differs from the files on disk; null when unknown. */
  updateBytes: number | null;
  checkedAt: number;
  /** Why the status is unknown (offline, network, …). */
  error: SerializedError | null;
}

/** One revision a slot has used: fetched (downloaded and verified) and activated (switched to). */
export interface SlotRevisionEntry {
  commit: string;
  /** When its files were downloaded and verified; null when unknown (present before the first update). */
  fetchedAt: number | null;
  /** When the slot last switched to it; null when never active since it was fetched. */
  activatedAt: number | null;
}

/** A slot's revisions, newest activation last; `active` is the commit the slot uses now. */
export interface SlotHistory {
  slot: SlotId;
  repo: string;
  /** The branch the slot followed before it was pinned to a commit by an update: later checks compare with it. */
  branch?: string;
  active: string;
  entries: SlotRevisionEntry[];
}

export interface UpdateResult {
  slot: SlotId;
  /** The commit before and after; equal when there was nothing to do. */
  from: string;
  to: string;
  /** The slot was loaded before and is loaded again on the new files. */
  reloaded: boolean;
  history: SlotHistory;
}

export interface UpdatesView {
  /** Per slot with a history: its revisions (kept in `<data dir>/state/history.json`). */
  history?: SlotHistory[];
  checking: boolean;
  /** When the last check of all slots ended; null = never. */
  lastCheckAt: number | null;
  slots: SlotUpdate[];
}
