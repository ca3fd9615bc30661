/**
 * A Hub file as it sits in the standard HF cache: what was asked and what was found, the
 * checks bytes must pass, and the cache entries huggingface_hub also reads (snapshot
 * links, refs, .no_exist markers), written the way it writes them.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, lstat, readFile, readlink, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { COMMIT_RE, SHA256_RE } from '../../../../shared/values/values.js';
import { hashFile, type BlobDigest } from './blob-hasher.js';
import { assertCommit, assertEtag, type HubCacheLayout } from '../cache/hf-cache-layout.js';
import type { FileMetadata } from '../hub/hub-client.js';
import { makeDirs } from '../../fs/make-dirs.js';

export interface FileRequest {
  repo: string;
  revision: string;
  path: string;
  sha256?: string | null;
  size?: number | null;
}

export interface DownloadedFile {
  repo: string;
  revision: string;
  commit: string;
  path: string;
  snapshotPath: string;
  blobPath: string;
  etag: string;
  sha256: string;
  size: number;
  /** What the bytes were checked against. */
  verifiedBy: 'catalog' | 'lfs' | 'git-sha1';
  /** Already in the cache, nothing downloaded. */
  reused: boolean;
  /** When bytes were downloaded: the largest number of Range parts that ran at once (1 = one stream). */
  parts?: number;
}

const SYMLINK_FALLBACK_CODES = new Set(['EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'EINVAL', 'ENOSYS']);

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export async function fileSize(path: string): Promise<number | null> {
  return stat(path).then((s) => s.size, () => null);
}

export async function writeAtomic(path: string, data: string): Promise<void> {
  await makeDirs(dirname(path));
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** The checks the bytes must pass, or the error saying which failed. */
export function mismatch(req: FileRequest, meta: FileMetadata, d: BlobDigest): ModelbayError | null {
  if (d.size !== meta.size || (req.size != null && d.size !== req.size)) {
    return new ModelbayError('EMB-E109', `${req.path}: received ${d.size} bytes, expected ${req.size ?? meta.size}. The download was discarded; try again.`, { path: req.path, expected: req.size ?? meta.size, received: d.size });
  }
  const want = req.sha256 ?? (SHA256_RE.test(meta.etag) ? meta.etag : null);
  if (want && d.sha256 !== want) {
    return new ModelbayError('EMB-E108', `${req.path}: the downloaded bytes have sha256 ${d.sha256.slice(0, 12)}…, expected ${want.slice(0, 12)}…. The download was discarded; try again.`, { path: req.path, expected: want, actual: d.sha256 });
  }
  if (meta.etag.length === 40 && d.gitSha1 !== meta.etag) {
    return new ModelbayError('EMB-E108', `${req.path}: the downloaded bytes do not match the Hub's git hash ${meta.etag.slice(0, 12)}…. The download was discarded; try again.`, { path: req.path, expected: meta.etag, actual: d.gitSha1 });
  }
  return null;
}

export function verifiedBy(req: FileRequest, etag: string): DownloadedFile['verifiedBy'] {
  if (req.sha256) return 'catalog';
  return SHA256_RE.test(etag) ? 'lfs' : 'git-sha1';
}

/** A relative symlink as huggingface_hub writes it, swapped in atomically; a copy where symlinks fail. */
export async function linkSnapshot(layout: HubCacheLayout, repo: string, commit: string, path: string, etag: string, blobPath: string, snapshotPath: string): Promise<void> {
  await makeDirs(dirname(snapshotPath));
  const target = layout.blobLinkTarget(repo, commit, path, etag);
  const current = await readlink(snapshotPath).catch(() => null);
  if (current === target) return;
  const tmp = `${snapshotPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await symlink(target, tmp);
  } catch (err) {
    if (!SYMLINK_FALLBACK_CODES.has(errnoOf(err) ?? '')) throw err;
    await copyFile(blobPath, tmp);
  }
  await rename(tmp, snapshotPath);
}

export async function markMissing(layout: HubCacheLayout, req: FileRequest, err: ModelbayError): Promise<void> {
  const commit = err.details['commit'];
  if (typeof commit !== 'string') return;
  try {
    const marker = layout.noExistPath(req.repo, assertCommit(commit), req.path);
    await makeDirs(dirname(marker));
    await writeFile(marker, '');
  } catch {
    // The marker is an optimisation for Python's lookups; the error itself is what matters.
  }
}

/** The file from the cache alone: refs/{revision} → snapshots/{commit}/{path}. */
export async function fromCache(layout: HubCacheLayout, req: FileRequest, why: 'offline' | 'network'): Promise<DownloadedFile> {
  const fail = (): ModelbayError => why === 'offline'
    ? new ModelbayError('EMB-E112', `Offline mode is on and ${req.repo}/${req.path} (${req.revision}) is not in the cache. Turn offline mode off to download it.`, { repo: req.repo, path: req.path })
    : new ModelbayError('EMB-E107', `Could not reach the Hub and ${req.repo}/${req.path} is not in the cache.`, { repo: req.repo, path: req.path });
  let commit: string;
  if (COMMIT_RE.test(req.revision)) commit = req.revision;
  else {
    const raw = await readFile(layout.refPath(req.repo, req.revision), 'utf8').catch(() => null);
    if (raw === null) throw fail();
    commit = assertCommit(raw.trim());
  }
  const snapshotPath = layout.snapshotPath(req.repo, commit, req.path);
  const st = await lstat(snapshotPath).catch(() => null);
  if (!st) throw fail();
  let etag: string;
  let blobPath: string;
  if (st.isSymbolicLink()) {
    etag = assertEtag(basename(await readlink(snapshotPath)));
    blobPath = layout.blobPath(req.repo, etag);
  } else {
    blobPath = snapshotPath;
    etag = '';
  }
  const size = await fileSize(blobPath);
  if (size === null) throw fail();
  const meta: FileMetadata = { ...req, commit, etag: etag || '0'.repeat(64), size, lfs: etag.length === 64, downloadUrl: '' };
  let digest: BlobDigest;
  if (SHA256_RE.test(etag)) digest = { size, sha256: etag, gitSha1: null };
  else {
    digest = await hashFile(blobPath, size, etag.length === 40);
    if (!etag) meta.etag = digest.sha256;
  }
  const problem = mismatch(req, meta, digest);
  if (problem) throw problem;
  return {
    repo: req.repo, revision: req.revision, commit, path: req.path, snapshotPath, blobPath, etag: meta.etag,
    sha256: digest.sha256, size, verifiedBy: verifiedBy(req, meta.etag), reused: true,
  };
}
