/**
 * One Modelbay per data folder: two instances would overwrite each other's settings and
 * race on the same records. The lock is a file created exclusively, holding the pid, its
 * start time (so a reused pid is not mistaken for the holder), the mode and the port once
 * known. A lock whose holder is gone is stale and taken over.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelbayError } from '../../../shared/errors/errors.js';
import { writeFileAtomicSync } from '../fs/atomic-file.js';
import { processStartTime, sameProcessAlive } from '../fs/process-identity.js';

export const DATA_DIR_LOCK = 'instance.lock';

const LockSchema = z.object({
  pid: z.number().int().positive(),
  startTime: z.string().nullable(),
  mode: z.string(),
  port: z.number().int().min(0).max(65535).nullable(),
  at: z.number(),
});
export type DataDirLockInfo = z.infer<typeof LockSchema>;

export function readDataDirLock(dir: string): DataDirLockInfo | null {
  try {
    const parsed = LockSchema.safeParse(JSON.parse(readFileSync(join(dir, DATA_DIR_LOCK), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export class DataDirLock {
  private released = false;
  private constructor(readonly path: string, private info: DataDirLockInfo) {}

  /** Take the folder or throw EMB-E407 naming the process (and port) that holds it. */
  static acquire(dir: string, mode: string, now: () => number = Date.now): DataDirLock {
    const path = join(dir, DATA_DIR_LOCK);
    const info: DataDirLockInfo = { pid: process.pid, startTime: processStartTime(process.pid), mode, port: null, at: now() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(path, JSON.stringify(info), { flag: 'wx', mode: 0o644 });
        return new DataDirLock(path, info);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readDataDirLock(dir);
      if (holder && holder.pid !== process.pid && sameProcessAlive(holder.pid, holder.startTime)) {
        const where = holder.port ? ` and serves port ${holder.port}` : '';
        throw new ModelbayError('EMB-E407', `Another Modelbay (pid ${holder.pid}, ${holder.mode}) already uses the data folder ${dir}${where}. Stop it, or start this one with another --data-dir.`, {
          dataDir: dir, pid: holder.pid, port: holder.port, mode: holder.mode,
        });
      }
      // Stale (its process is gone, or the pid now belongs to another process) or unreadable: take it over.
      try {
        renameSync(path, `${path}.stale-${process.pid}`);
        rmSync(`${path}.stale-${process.pid}`, { force: true });
      } catch {
        // Another starter took it over first; the next attempt sees its lock.
      }
    }
    throw new ModelbayError('EMB-E407', `The data folder ${dir} is being claimed by another Modelbay starting right now.`, { dataDir: dir });
  }

  /** Record the port the server listens on, for a second instance's message and for the CLI. */
  setPort(port: number): void {
    if (this.released) return;
    this.info = { ...this.info, port };
    writeFileAtomicSync(this.path, JSON.stringify(this.info));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const holder = readDataDirLock(join(this.path, '..'));
    if (holder?.pid === this.info.pid && holder.startTime === this.info.startTime) rmSync(this.path, { force: true });
  }
}
