/**
 * Compares a slot's model with its branch on the Hub: one revision lookup, then, only when
 * the commits differ, one HEAD per file to learn which contents changed and their size
 * (a file whose blob is already on disk costs nothing to update).
 */
import { basename } from 'node:path';
import { toModelbayError } from '../../../../shared/errors/errors.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import type { SlotUpdate } from '../../../../shared/artifacts/updates.js';
import { COMMIT_RE } from '../../../../shared/values/values.js';
import type { HubCacheLayout } from '../cache/hf-cache-layout.js';
import type { HubClient } from '../hub/hub-client.js';
import { cachedCommit, nodeMetadataFs, type MetadataFs } from '../cache/revision-refs.js';


export interface UpdateTarget {
  slot: SlotId;
  repo: string;
  revision: string;
  /** The branch to compare with when the slot is pinned to a commit (the one an update pinned it from); default main. */
  branch?: string;
  files: Array<{ path: string }>;
}

export interface UpdateCheckDeps {
  hub: Pick<HubClient, 'revisionCommit' | 'fileMetadata'>;
  layout: HubCacheLayout;
  now: () => number;
  fs?: MetadataFs;
  signal?: AbortSignal;
}

export async function checkSlotUpdate(t: UpdateTarget, d: UpdateCheckDeps): Promise<SlotUpdate> {
  const fs = d.fs ?? nodeMetadataFs;
  // A slot pinned to a commit follows main for "is there something newer?".
  const branch = COMMIT_RE.test(t.revision) ? (t.branch ?? 'main') : t.revision;
  const base = { slot: t.slot, repo: t.repo, revision: t.revision, branch, checkedAt: d.now() };
  const currentCommit = await cachedCommit(d.layout, t.repo, t.revision, fs).catch(() => null);
  let remoteCommit: string;
  try {
    remoteCommit = await d.hub.revisionCommit(t.repo, branch, d.signal);
  } catch (e) {
    return { ...base, currentCommit, remoteCommit: null, status: 'unknown', updateBytes: null, error: toModelbayError(e).toJSON() };
  }
  if (currentCommit === null) return { ...base, currentCommit, remoteCommit, status: 'not-downloaded', updateBytes: null, error: null };
  if (currentCommit === remoteCommit) return { ...base, currentCommit, remoteCommit, status: 'up-to-date', updateBytes: 0, error: null };
  let updateBytes = 0;
  try {
    for (const f of t.files) {
      const meta = await d.hub.fileMetadata(t.repo, remoteCommit, f.path, d.signal);
      let onDisk: string | null = null;
      try {
        onDisk = basename(await fs.realpath(d.layout.snapshotPath(t.repo, currentCommit, f.path)));
      } catch {
        onDisk = null;
      }
      if (onDisk !== meta.etag) updateBytes += meta.size;
    }
  } catch (e) {
    return { ...base, currentCommit, remoteCommit, status: 'update-available', updateBytes: null, error: toModelbayError(e).toJSON() };
  }
  return { ...base, currentCommit, remoteCommit, status: 'update-available', updateBytes, error: null };
}
