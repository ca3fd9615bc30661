/**
 * What Modelbay has verified, kept in its own state folder rather than in the HF cache
 * (the cache is shared with Python, which neither knows nor keeps our files). A record
 * holds for a blob only while its size and mtime are unchanged, so readiness can trust
 * it without re-hashing. A damaged records file is ignored: at worst files show as
 * unverified, never a crash at start-up.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../fs/atomic-file.js';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SHA256_RE } from '../../../../shared/values/values.js';

const RecordSchema = z.object({
  size: z.number().int().min(0),
  mtimeMs: z.number(),
  /** The sha256 computed from the bytes (null when only a git sha1 was checked). */
  sha256: z.string().regex(SHA256_RE).nullable(),
  /** Whether the bytes matched what was expected of them. */
  ok: z.boolean(),
  verifiedAt: z.number(),
});
export type VerificationRecord = z.infer<typeof RecordSchema>;

const FileSchema = z.object({
  version: z.literal(1),
  records: z.record(z.string(), RecordSchema),
  /** Blob path → last time a load resolved it: the cache limit evicts the oldest first. */
  lastUsed: z.record(z.string(), z.number()).default({}),
});

export class VerificationRecords {
  private records = new Map<string, VerificationRecord>();
  private uses = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      this.records = new Map();
      this.uses = new Map();
      return;
    }
    let parsed: z.ZodSafeParseResult<z.infer<typeof FileSchema>> | null = null;
    try {
      parsed = FileSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    this.records = new Map(parsed?.success ? Object.entries(parsed.data.records) : []);
    this.uses = new Map(parsed?.success ? Object.entries(parsed.data.lastUsed) : []);
  }

  get(blobPath: string): VerificationRecord | null {
    return this.records.get(blobPath) ?? null;
  }

  /** The record when it still describes the file on disk (same size and mtime). */
  current(blobPath: string, size: number, mtimeMs: number): VerificationRecord | null {
    const r = this.records.get(blobPath);
    return r && r.size === size && r.mtimeMs === mtimeMs ? r : null;
  }

  set(blobPath: string, record: VerificationRecord): void {
    this.records.set(blobPath, record);
  }

  lastUsed(blobPath: string): number | null {
    return this.uses.get(blobPath) ?? null;
  }

  touch(blobPath: string, at: number): void {
    this.uses.set(blobPath, at);
  }

  /** Forget a blob that left the cache. */
  delete(blobPath: string): void {
    this.records.delete(blobPath);
    this.uses.delete(blobPath);
  }

  /** Writes atomically (the one atomic writer: tmp, fsync, rename); serialised so the last state wins. */
  flush(): Promise<void> {
    const body = JSON.stringify({ version: 1, records: Object.fromEntries(this.records), lastUsed: Object.fromEntries(this.uses) });
    const next = this.writing.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, body, 0o600);
    });
    // A failed write must not block the ones after it.
    this.writing = next.catch(() => undefined);
    return next;
  }
}
