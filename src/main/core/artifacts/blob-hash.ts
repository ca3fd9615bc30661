/**
 * Re-hashing a cached file on demand: SHA-256 (what the catalog and the Hub's LFS etag
 * name) and the git blob SHA-1 (the etag of small non-LFS files), in one streaming pass
 * so a multi-GB model is read once and never held in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ModelbayError } from '../../../shared/errors.js';

export interface BlobHashes {
  size: number;
  sha256: string;
  gitSha1: string;
}

export async function hashBlob(path: string, signal?: AbortSignal): Promise<BlobHashes> {
  const { size } = await stat(path);
  const sha256 = createHash('sha256');
  // git hashes "blob <size>\0" followed by the content.
  const sha1 = createHash('sha1').update(`blob ${size}\0`);
  let seen = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20, signal });
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      seen += buf.length;
      sha256.update(buf);
      sha1.update(buf);
    }
  } catch (err) {
    if (signal?.aborted) throw new ModelbayError('EMB-E114', 'Verification was cancelled.', { path });
    throw err;
  }
  if (seen !== size) throw new ModelbayError('EMB-E109', `The file changed while it was being verified (${seen} of ${size} bytes).`, { path, size, seen });
  return { size, sha256: sha256.digest('hex'), gitSha1: sha1.digest('hex') };
}
