/**
 * One writer per partial file, across processes: an O_EXCL lock file holding the
 * holder's pid, its start time, host and a nonce. File locks (flock) are not available
 * from Node and do nothing on some network filesystems (huggingface_hub PR #4306); an
 * exclusive create works everywhere. A lock whose pid is dead on this host is stale and
 * taken over — and so is one whose pid now belongs to a process that started later (a
 * pid reused after a crash), told apart by the start time in /proc/<pid>/stat.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { processStartTime, sameProcessAlive } from '../../fs/process-identity.js';
import { makeDirs } from '../../fs/make-dirs.js';

const lockSchema = z.object({
  pid: z.number().int().positive(), host: z.string(), nonce: z.string(), at: z.number(),
  /** Clock ticks since boot when the holder started (Linux); absent in older locks and elsewhere. */
  start: z.string().nullable().optional(),
});
export type WriterLockInfo = z.infer<typeof lockSchema>;

/** An unreadable lock younger than this may be one being written right now. */
const UNREADABLE_GRACE_MS = 10_000;

/** Whether the process that wrote `holder` still runs on this host (pid and, where known, start time). */
function holderAlive(holder: WriterLockInfo): boolean {
  if (holder.host !== hostname()) return true;
  return sameProcessAlive(holder.pid, holder.start ?? null);
}

async function readLock(path: string): Promise<WriterLockInfo | null> {
  try {
    const parsed = lockSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export class WriterLock {
  private released = false;
  private constructor(readonly path: string, readonly info: WriterLockInfo) {}

  /** Take the lock or throw EMB-E113 naming the live holder. */
  static async acquire(path: string, what: string): Promise<WriterLock> {
    await makeDirs(dirname(path));
    const info: WriterLockInfo = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex'), at: Date.now(), start: processStartTime(process.pid) };
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        await writeFile(path, JSON.stringify(info), { flag: 'wx', mode: 0o644 });
        return new WriterLock(path, info);
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err;
      }
      const holder = await readLock(path);
      if (holder === null) {
        const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age < UNREADABLE_GRACE_MS) throw busy(path, what, null);
        await takeOver(path, null);
        continue;
      }
      if (holderAlive(holder)) throw busy(path, what, holder);
      await takeOver(path, holder);
    }
    throw busy(path, what, await readLock(path));
  }

  /** Remove the lock if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const now = await readLock(this.path);
    if (now?.nonce === this.info.nonce) await unlink(this.path).catch(() => undefined);
  }

  /** Remove a lock left by a process that is gone (for discarding partial data). */
  static async clearStale(path: string): Promise<boolean> {
    const holder = await readLock(path);
    if (holder && holderAlive(holder)) return false;
    await unlink(path).catch(() => undefined);
    return true;
  }
}

/**
 * Move a stale lock aside, then check that what was moved is the stale one: if another
 * process replaced it in between, put the live lock back (link fails if a third already
 * took the name, which is then that one's lock).
 */
async function takeOver(path: string, stale: WriterLockInfo | null): Promise<void> {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (errno(err) === 'ENOENT') return;
    throw err;
  }
  const moved = await readLock(aside);
  if (moved !== null && moved.nonce !== stale?.nonce) {
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

function busy(path: string, what: string, holder: WriterLockInfo | null): ModelbayError {
  const who = holder ? `process ${holder.pid} on ${holder.host}` : 'another process';
  return new ModelbayError('EMB-E113', `${what} is being downloaded by ${who}. Wait for it to finish; if no such process runs, delete ${path}.`, {
    lockPath: path, pid: holder?.pid ?? null, host: holder?.host ?? null,
  });
}
