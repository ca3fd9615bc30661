/** The revision history store: order of activations, what a restart reads back, damage tolerated, writes that fail keep memory as it was. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlotHistoryStore } from '../../../../../src/main/core/state/slot-history.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('SlotHistoryStore', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-hist-'));
    file = join(dir, 'state', 'history.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records the previous revision first, moves a re-activated one last, and reads it back after a restart', async () => {
    const store = new SlotHistoryStore(file);
    await store.load();
    const first = store.activated('E1', 'org/m', 'main', { commit: A, fetchedAt: 10, activatedAt: null }, B, 20, 30);
    expect(store.get('E1')).toBeNull();
    await store.save(first);
    expect(first.entries).toEqual([{ commit: A, fetchedAt: 10, activatedAt: null }, { commit: B, fetchedAt: 20, activatedAt: 30 }]);
    const back = store.activated('E1', 'org/m', 'main', { commit: B, fetchedAt: 0, activatedAt: 0 }, A, null, 40);
    expect(back.entries).toEqual([{ commit: B, fetchedAt: 20, activatedAt: 30 }, { commit: A, fetchedAt: 10, activatedAt: 40 }]);
    await store.save(back);
    const again = new SlotHistoryStore(file);
    await again.load();
    expect(again.get('E1')).toEqual({ slot: 'E1', repo: 'org/m', branch: 'main', active: A, entries: back.entries });
  });

  it('starts over for another repository, and a damaged file means no history', async () => {
    const store = new SlotHistoryStore(file);
    await store.save(store.activated('E1', 'org/m', 'main', { commit: A, fetchedAt: 1, activatedAt: 1 }, B, 2, 2));
    expect(store.activated('E1', 'org/other', 'main', { commit: A, fetchedAt: 3, activatedAt: null }, B, 4, 4).entries.map((e) => e.commit)).toEqual([A, B]);
    await writeFile(file, '{"version":1,"slots":[{"slot":');
    const damaged = new SlotHistoryStore(file);
    await damaged.load();
    expect(damaged.all()).toEqual([]);
  });

  it('keeps memory as it was when the write fails', async () => {
    // A file where the state folder should be: the write fails for root too.
    await writeFile(join(dir, 'state'), 'not a folder');
    const store = new SlotHistoryStore(file);
    await expect(store.save(store.activated('E1', 'org/m', 'main', { commit: A, fetchedAt: 1, activatedAt: 1 }, B, 2, 2))).rejects.toThrow();
    expect(store.get('E1')).toBeNull();
    await expect(readFile(file)).rejects.toThrow();
  });
});
