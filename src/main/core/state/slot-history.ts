/**
 * Each slot's revision history (which commit, when fetched, when activated), kept in
 * `<data dir>/state/history.json` so a roll back knows where to go after a restart.
 * A damaged file only means "no history": updates still work, they start a new one.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { SlotId } from '../../../shared/slots/slots.js';
import type { SlotHistory, SlotRevisionEntry } from '../../../shared/artifacts/updates.js';
import { COMMIT_RE } from '../../../shared/values/values.js';
import { writeFileAtomic } from '../fs/atomic-file.js';

/** Enough to roll back a few times; older revisions are for the On-disk view to clean up. */
const MAX_ENTRIES = 20;

const EntrySchema = z.object({ commit: z.string().regex(COMMIT_RE), fetchedAt: z.number().nullable(), activatedAt: z.number().nullable() });
const FileSchema = z.object({
  version: z.literal(1),
  slots: z.array(z.object({ slot: z.string(), repo: z.string(), branch: z.string().optional(), active: z.string(), entries: z.array(EntrySchema) })),
});

export class SlotHistoryStore {
  private readonly bySlot = new Map<SlotId, SlotHistory>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    try {
      const parsed = FileSchema.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
      if (!parsed.success) return;
      for (const h of parsed.data.slots) this.bySlot.set(h.slot as SlotId, h as SlotHistory);
    } catch {
      // No file yet.
    }
  }

  get(slot: SlotId): SlotHistory | null {
    return this.bySlot.get(slot) ?? null;
  }

  all(): SlotHistory[] {
    return [...this.bySlot.values()];
  }

  /**
   * The history as it would be after activating `commit` (not yet kept: the caller persists
   * it with `save` only once the switch is certain). `previous` is the commit in use until
   * now, recorded first when the slot has no history for this repository yet.
   */
  activated(slot: SlotId, repo: string, branch: string, previous: SlotRevisionEntry, commit: string, fetchedAt: number | null, at: number): SlotHistory {
    const before = this.bySlot.get(slot);
    const entries = before && before.repo === repo ? before.entries.map((e) => ({ ...e })) : [];
    if (!entries.some((e) => e.commit === previous.commit)) entries.push({ ...previous });
    const old = entries.find((e) => e.commit === commit);
    const rest = entries.filter((e) => e.commit !== commit);
    rest.push({ commit, fetchedAt: fetchedAt ?? old?.fetchedAt ?? null, activatedAt: at });
    return { slot, repo, branch, active: commit, entries: rest.slice(-MAX_ENTRIES) };
  }

  /** Keeps a history on disk, then in memory (a failed write changes nothing). */
  save(history: SlotHistory): Promise<void> {
    const write = this.writes.catch(() => undefined).then(async () => {
      const next = new Map(this.bySlot);
      next.set(history.slot, history);
      await mkdir(dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, slots: [...next.values()] }, null, 2)}\n`);
      this.bySlot.set(history.slot, history);
    });
    this.writes = write;
    return write;
  }
}
