/**
 * The last lockfile written or restored on this machine, kept in Modelbay's state folder
 * so the dashboard can say when the running layout has drifted from it (after a restart
 * too). A damaged record is ignored: at worst no badge, never a failed start.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { LockfileSchema, type Lockfile } from '../../../shared/layouts/layouts.js';
import { SlotIdSchema } from '../../../shared/settings/settings.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import { writeFileAtomic } from '../fs/atomic-file.js';

const RecordSchema = z.object({
  how: z.enum(['written', 'restored']),
  recordedAt: z.number(),
  /** The slots the lock was asked for; null = the whole layout (a slot added later is a difference). */
  scope: z.array(SlotIdSchema).nullable(),
  lock: LockfileSchema,
});
export type LastLock = z.infer<typeof RecordSchema>;

export class LastLockStore {
  private current: LastLock | null = null;
  private loaded = false;

  constructor(readonly file: string) {}

  async get(): Promise<LastLock | null> {
    if (!this.loaded) {
      this.loaded = true;
      try {
        const parsed = RecordSchema.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
        this.current = parsed.success ? parsed.data : null;
      } catch {
        this.current = null;
      }
    }
    return this.current;
  }

  async record(how: LastLock['how'], lock: Lockfile, scope: SlotId[] | null, at: number): Promise<void> {
    const next: LastLock = { how, recordedAt: at, scope, lock };
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(next), 0o600);
    this.current = next;
    this.loaded = true;
  }
}
