/**
 * SHA-256 of a blob as its bytes arrive, plus the git blob sha1 for regular (non-LFS)
 * files, whose etag is that sha1 — so every file is checked against something the Hub
 * or the catalog vouches for, without a second pass over the bytes.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { ModelbayError } from '../../../../shared/errors/errors.js';

export interface BlobDigest {
  size: number;
  sha256: string;
  /** Null when not computed (LFS files). */
  gitSha1: string | null;
}

export class BlobHasher {
  private sha256: Hash;
  private sha1: Hash | null;
  private bytes = 0;

  /** `gitSize` is the size the git header declares; null skips the sha1. */
  constructor(private readonly gitSize: number | null) {
    this.sha256 = createHash('sha256');
    this.sha1 = this.newSha1();
  }

  private newSha1(): Hash | null {
    return this.gitSize === null ? null : createHash('sha1').update(`blob ${this.gitSize}\0`);
  }

  get size(): number {
    return this.bytes;
  }

  update(chunk: Uint8Array): void {
    this.sha256.update(chunk);
    this.sha1?.update(chunk);
    this.bytes += chunk.length;
  }

  /** Forget everything: the file starts over from byte 0. */
  reset(): void {
    this.sha256 = createHash('sha256');
    this.sha1 = this.newSha1();
    this.bytes = 0;
  }

  digest(): BlobDigest {
    return { size: this.bytes, sha256: this.sha256.digest('hex'), gitSha1: this.sha1 ? this.sha1.digest('hex') : null };
  }

  /** Feed `length` bytes of a file from `start` (a resumed prefix, or parts already on disk). */
  async updateFromFile(path: string, start: number, length: number, onBytes?: (n: number) => void): Promise<void> {
    if (length <= 0) return;
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(length, 4 << 20));
      let pos = start;
      const end = start + length;
      while (pos < end) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
        if (bytesRead === 0) throw new Error(`${path} ended at ${pos}, expected ${end} bytes`);
        this.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
        onBytes?.(bytesRead);
      }
    } finally {
      await fh.close();
    }
  }
}

/** Hash a whole file (reuse checks of small regular files, offline checks). */
export async function hashFile(path: string, size: number, withGitSha1: boolean): Promise<BlobDigest> {
  const h = new BlobHasher(withGitSha1 ? size : null);
  await h.updateFromFile(path, 0, size);
  return h.digest();
}

/** Both digests of a whole cached file, read once; a file that shrinks meanwhile is a size problem. */
export async function hashBlob(path: string): Promise<BlobDigest & { gitSha1: string }> {
  const { size } = await stat(path);
  try {
    const d = await hashFile(path, size, true);
    return { ...d, gitSha1: d.gitSha1 ?? '' };
  } catch (err) {
    throw new ModelbayError('EMB-E109', `${path} changed while it was being verified.`, { path, size }, { cause: err });
  }
}
