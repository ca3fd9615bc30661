import { access, mkdir, readdir, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HubCacheLayout } from '../../../../../src/main/core/artifacts/cache/hf-cache-layout.js';
import { writeCachedFile } from '../../../../../src/devkit/artifacts/hf-cache-writer.js';
import type { TestSlot } from '../../../../../src/devkit/artifacts/test-catalog.js';
import type { SlotHistory } from '../../../../../src/shared/artifacts/updates.js';
import { C1, C2, harness, type Harness } from './manager-harness.js';

let h: Harness | null = null;
afterEach(async () => { await h?.close(); h = null; });

const bytes = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * seed + seed) % 251);
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const slot = (repo: string, files: string[]): TestSlot => ({ repo, revision: 'main', files: files.map((path, i) => ({ path, role: i === 0 ? 'model' : 'tokenizer' })) });

describe('clear', () => {
  it('removes the slot snapshot, its ref and unshared blobs; keeps a blob another snapshot or another repo links to', async () => {
    const tok = bytes(100, 3);
    const paths: Record<string, string> = {};
    h = await harness({ E8: slot('org/e8', ['onnx/model.onnx', 'tokenizer.json']), E11: slot('org/e11', ['model.onnx']) }, {
      prepareCache: async (cache) => {
        paths.model = (await writeCachedFile(cache, 'org/e8', C1, 'onnx/model.onnx', bytes(1000, 1), { revision: 'main' })).blobPath;
        paths.tok = (await writeCachedFile(cache, 'org/e8', C1, 'tokenizer.json', tok)).blobPath;
        // An older revision Python keeps, sharing the tokenizer blob.
        await writeCachedFile(cache, 'org/e8', C2, 'tokenizer.json', tok, { revision: 'v1' });
        paths.shared = (await writeCachedFile(cache, 'org/e8', C1, 'config.json', bytes(10, 5))).blobPath;
        // Another repository whose snapshot links into org/e8's blobs (a dedup tool did it).
        const other = new HubCacheLayout(cache).snapshotPath('user/other', C1, 'config.json');
        await mkdir(dirname(other), { recursive: true });
        await symlink(relative(dirname(other), paths.shared), other);
        paths.e11 = (await writeCachedFile(cache, 'org/e11', C1, 'model.onnx', bytes(500, 7), { revision: 'main' })).blobPath;
        paths.unrelated = (await writeCachedFile(cache, 'someone/else', C1, 'weights.bin', bytes(50, 9), { revision: 'main' })).blobPath;
      },
    });
    const report = await h.manager.clear('E8');
    expect(report.slots.find((s) => s.slot === 'E8')?.status).toBe('missing');
    expect(report.slots.find((s) => s.slot === 'E11')?.status).toBe('ready');
    const repo = join(h.cache, 'models--org--e8');
    expect(await exists(paths.model ?? '')).toBe(false);
    expect(await exists(paths.tok ?? '')).toBe(true);
    expect(await exists(join(repo, 'snapshots', C2, 'tokenizer.json'))).toBe(true);
    // config.json is not a slot file: its snapshot entry and blob stay, so snapshot C1 and refs/main stay.
    expect((await readdir(join(repo, 'refs'))).sort()).toEqual(['main', 'v1']);
    expect(await exists(paths.shared ?? '')).toBe(true);
    expect(await readdir(join(repo, 'snapshots', C1))).toEqual(['config.json']);
    expect(await exists(paths.e11 ?? '')).toBe(true);
    expect(await exists(paths.unrelated ?? '')).toBe(true);
    expect(h.events.some((e) => e.type === 'state' && e.slot === 'E8' && e.state === 'missing')).toBe(true);
  });

  it('keeps files another slot uses (E2–E4 share one stand-in) and clearAll touches only slot repositories', async () => {
    const shared = slot('org/jina', ['onnx/model.onnx', 'tokenizer.json']);
    const blobs: string[] = [];
    let unrelated = '';
    h = await harness({ E2: shared, E3: shared, E8: slot('org/e8', ['model.onnx']) }, {
      prepareCache: async (cache) => {
        blobs.push((await writeCachedFile(cache, 'org/jina', C1, 'onnx/model.onnx', bytes(800, 2), { revision: 'main' })).blobPath);
        blobs.push((await writeCachedFile(cache, 'org/jina', C1, 'tokenizer.json', bytes(80, 4))).blobPath);
        blobs.push((await writeCachedFile(cache, 'org/e8', C1, 'model.onnx', bytes(300, 6), { revision: 'main' })).blobPath);
        unrelated = (await writeCachedFile(cache, 'someone/else', C1, 'weights.bin', bytes(50, 9), { revision: 'main' })).blobPath;
      },
    });
    const before = await h.manager.readiness();
    // The shared stand-in's bytes count once in the totals, and in each slot's own figures.
    expect(before.totalBytes).toBe(800 + 80 + 300);
    expect(before.slots.find((s) => s.slot === 'E3')?.presentBytes).toBe(880);
    const r = await h.manager.clear('E2');
    expect(r.slots.filter((s) => s.status === 'ready').map((s) => s.slot)).toEqual(['E2', 'E3', 'E8']);
    expect(h.events.some((e) => e.type === 'activity' && e.entry.message.includes('E2 shares files with E3'))).toBe(true);
    // E3 may be mid-download of the same files: their partial data must stay.
    expect(h.downloader.discarded).toEqual([]);
    const all = await h.manager.clearAll();
    expect(all.ready).toBe(0);
    for (const b of blobs) expect(await exists(b)).toBe(false);
    expect(await exists(unrelated)).toBe(true);
    // Emptied snapshots go with the refs naming them, so huggingface_hub's scan finds no dangling ref.
    expect(await readdir(join(h.cache, 'models--org--e8', 'snapshots'))).toEqual([]);
    expect(await readdir(join(h.cache, 'models--org--e8', 'refs'))).toEqual([]);
    expect((await readdir(h.cache)).sort()).toEqual(['models--org--e8', 'models--org--jina', 'models--someone--else']);
  });
});

describe('cache limit', () => {
  const C3 = '3'.repeat(40);
  const history = (slot: 'E1', repo: string, active: string, entries: Array<[string, number]>): SlotHistory => ({
    slot, repo, active, branch: 'main', entries: entries.map(([commit, at]) => ({ commit, fetchedAt: at, activatedAt: at })),
  });

  it('after update A → B and roll back to A: keeps A (the revision the slot uses, not loaded), removes B', async () => {
    const p: Record<string, string> = {};
    const tok = bytes(100, 3);
    // The state after an update to C2 and a roll back to C1, then a restart: E1 pinned to C1, not loaded.
    h = await harness({}, {
      cacheLimitBytes: 2000,
      sources: { E1: { repo: 'org/e1', revision: C1, model: 'model.onnx', externalData: [], tokenizer: 'tokenizer.json', pooling: 'mean', dims: 16 } },
      prepareCache: async (cache) => {
        p.a = (await writeCachedFile(cache, 'org/e1', C1, 'model.onnx', bytes(1500, 1), { revision: 'main' })).blobPath;
        p.tok = (await writeCachedFile(cache, 'org/e1', C1, 'tokenizer.json', tok)).blobPath;
        p.b = (await writeCachedFile(cache, 'org/e1', C2, 'model.onnx', bytes(1400, 2))).blobPath;
        await writeCachedFile(cache, 'org/e1', C2, 'tokenizer.json', tok);
      },
    });
    // B was used more recently than A ever was: recency must not decide against the active revision.
    const result = await h.manager.enforceCacheLimit(new Set(), [history('E1', 'org/e1', C1, [[C2, 2000], [C1, 3000]])]);
    expect(result.removed).toEqual([p.b]);
    expect(await exists(p.a ?? '')).toBe(true);
    expect(await exists(p.tok ?? '')).toBe(true);
    expect(await exists(join(h.cache, 'models--org--e1', 'snapshots', C2))).toBe(false);
    expect((await h.manager.readiness()).slots.find((s) => s.slot === 'E1')?.status).toBe('ready');
    expect(h.events.some((e) => e.type === 'activity' && e.entry.code === 'EMB-E139')).toBe(false);
  });

  it('removes files no slot uses first, then inactive revisions oldest first, the one a roll back needs last', async () => {
    const p: Record<string, string> = {};
    h = await harness({ E1: slot('org/e1', ['model.onnx']) }, {
      cacheLimitBytes: 1000 + 700 + 1,
      prepareCache: async (cache) => {
        p.active = (await writeCachedFile(cache, 'org/e1', C1, 'model.onnx', bytes(1000, 1), { revision: 'main' })).blobPath;
        // Another variant of the active commit's repository at a commit no slot ever used.
        p.unused = (await writeCachedFile(cache, 'org/e1', '4'.repeat(40), 'model.onnx', bytes(300, 4))).blobPath;
        p.oldest = (await writeCachedFile(cache, 'org/e1', C3, 'model.onnx', bytes(500, 3))).blobPath;
        p.rollback = (await writeCachedFile(cache, 'org/e1', C2, 'model.onnx', bytes(700, 2))).blobPath;
        p.other = (await writeCachedFile(cache, 'someone/else', C1, 'weights.bin', bytes(400, 5), { revision: 'main' })).blobPath;
      },
    });
    // Roll back would go to C2 (the last one before C1); C3 is older.
    const result = await h.manager.enforceCacheLimit(new Set(), [history('E1', 'org/e1', C1, [[C3, 1000], [C2, 2000], [C1, 3000]])]);
    // 1000 + 300 + 500 + 700 + 400 = 2900 over 1701: the unused commit (2600), C3 (2100), then C2 (1400).
    expect(result.removed).toEqual([p.unused, p.oldest, p.rollback]);
    expect(await exists(p.active ?? '')).toBe(true);
    // Another program's repository is not Modelbay's to clean up.
    expect(await exists(p.other ?? '')).toBe(true);
  });

  it('says so with EMB-E139 when only the files in use are left, and leaves them', async () => {
    const p: Record<string, string> = {};
    h = await harness({ E1: slot('org/e1', ['model.onnx']), E6: slot('org/e6', ['model.onnx']) }, {
      cacheLimitBytes: 1000,
      prepareCache: async (cache) => {
        p.e1 = (await writeCachedFile(cache, 'org/e1', C1, 'model.onnx', bytes(1500, 1), { revision: 'main' })).blobPath;
        p.e6 = (await writeCachedFile(cache, 'org/e6', C1, 'model.onnx', bytes(800, 2), { revision: 'main' })).blobPath;
        p.old = (await writeCachedFile(cache, 'org/e6', C2, 'model.onnx', bytes(200, 3))).blobPath;
      },
    });
    const result = await h.manager.enforceCacheLimit(new Set(), []);
    expect(result.removed).toEqual([p.old]);
    expect(await exists(p.e1 ?? '')).toBe(true);
    expect(await exists(p.e6 ?? '')).toBe(true);
    const line = h.events.find((e) => e.type === 'activity' && e.entry.code === 'EMB-E139');
    expect(line?.type === 'activity' ? line.entry.message : '').toMatch(/revisions slots use/);
    expect((await h.manager.readiness()).slots.filter((s) => s.status === 'ready').map((s) => s.slot)).toEqual(['E1', 'E6']);
  });

  it('does nothing without a limit or under it', async () => {
    h = await harness({ E6: slot('org/e6', ['model.onnx']) }, {
      prepareCache: async (cache) => {
        await writeCachedFile(cache, 'org/e6', C1, 'model.onnx', bytes(1000, 2), { revision: 'main' });
        await writeCachedFile(cache, 'org/e6', C2, 'model.onnx', bytes(500, 3));
      },
    });
    expect(await h.manager.enforceCacheLimit(new Set(), [])).toEqual({ removedBytes: 0, removed: [] });
    h.manager.configure({ cacheLimitBytes: 5000 });
    expect(await h.manager.enforceCacheLimit(new Set(), [])).toEqual({ removedBytes: 0, removed: [] });
    h.manager.configure({ cacheLimitBytes: 10 });
    expect((await h.manager.enforceCacheLimit(new Set(), [])).removedBytes).toBe(500);
  });
});
