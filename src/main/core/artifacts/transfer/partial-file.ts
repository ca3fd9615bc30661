/**
 * A blob's partial file in blobs/ and the saved progress of its Range parts, as they are
 * found and left on disk: whether what is there can be resumed, an empty one removed
 * (huggingface_hub leaves none), and the disk-space checks around writing it.
 */
import { lstat, statfs, unlink } from 'node:fs/promises';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import type { HubCacheLayout } from '../cache/hf-cache-layout.js';
import type { FileMetadata } from '../hub/hub-client.js';
import { fileSize, type FileRequest } from './cache-entries.js';
import { loadParts, type PartsState } from './range-parts.js';

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** A write that failed because the disk filled up during the download (the check before is only a snapshot). */
export function diskFull(err: unknown, path: string): ModelbayError | null {
  const codes = [errnoOf(err), errnoOf((err as { cause?: unknown } | null)?.cause)];
  const code = codes.find((c) => c === 'ENOSPC' || c === 'EDQUOT');
  if (code === undefined) return null;
  return new ModelbayError('EMB-E110', `The disk filled up while downloading ${path}. Free some space, then resume: the bytes so far are kept.`, { path, cause: code });
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}


/** A partial holding no downloaded byte is litter (huggingface_hub leaves none): remove it. */
export async function dropEmptyPartial(partial: string, partsPath: string): Promise<void> {
  const size = await fileSize(partial);
  if (size === null) return;
  if (await exists(partsPath)) {
    const saved = await loadParts(partsPath, null, size);
    if (saved === null || saved.parts.some((p) => p.done > 0)) return;
  } else if (size > 0) {
    return;
  }
  await unlink(partsPath).catch(() => undefined);
  await unlink(partial).catch(() => undefined);
}

/** Refuses a download that cannot fit: the bytes still missing must fit in the free space. */
export async function checkDiskSpace(layout: HubCacheLayout, req: FileRequest, meta: FileMetadata, have: number): Promise<void> {
  const need = Math.max(0, meta.size - have);
  const fs = await statfs(layout.blobsDir(req.repo));
  const free = Number(fs.bavail) * Number(fs.bsize);
  if (need > free) {
    throw new ModelbayError('EMB-E110', `Not enough disk space for ${req.path}: it needs ${need} more bytes, ${free} are free in ${layout.root}. Free some space or move the cache.`, { path: req.path, needBytes: need, freeBytes: free, cacheDir: layout.root });
  }
}

/**
 * What of an earlier attempt can be resumed: the saved parts and the partial's size.
 * Saved parts that do not match their partial (or cannot be read) make the partial
 * untrustworthy as a prefix: both are removed and the download starts over.
 */
export async function resumablePartial(partial: string, partsPath: string, etag: string, size: number): Promise<{ saved: PartsState | null; partialSize: number | null }> {
  const saved = await loadParts(partsPath, etag, size);
  const partialSize = await fileSize(partial);
  if ((saved === null && await exists(partsPath)) || (saved !== null && partialSize !== size)) {
    await unlink(partsPath).catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    return { saved: null, partialSize: null };
  }
  return { saved, partialSize };
}
