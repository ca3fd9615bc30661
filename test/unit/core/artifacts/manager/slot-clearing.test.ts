import { access, mkdir, readdir, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HubCacheLayout } from '../../../../../src/main/core/artifacts/cache/hf-cache-layout.js';
import { writeCachedFile } from '../../../../../src/devkit/artifacts/hf-cache-writer.js';
import type { TestSlot } from '../../../../../src/devkit/artifacts/test-catalog.js';
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
  it('removes least recently used blobs of unprotected slots only, never a shared or protected one', async () => {
    const p: Record<string, string> = {};
    const tok = bytes(100, 3);
    h = await harness({ E1: slot('org/e1', ['model.onnx']), E6: slot('org/e6', ['model.onnx']), E8: slot('org/e8', ['model.onnx', 'tokenizer.json']), E11: slot('org/e11', ['model.onnx']) }, {
      cacheLimitBytes: 3000,
      prepareCache: async (cache) => {
        p.e1 = (await writeCachedFile(cache, 'org/e1', C1, 'model.onnx', bytes(1500, 1), { revision: 'main' })).blobPath;
        p.e6 = (await writeCachedFile(cache, 'org/e6', C1, 'model.onnx', bytes(1000, 2), { revision: 'main' })).blobPath;
        p.e8 = (await writeCachedFile(cache, 'org/e8', C1, 'model.onnx', bytes(1200, 3), { revision: 'main' })).blobPath;
        p.tok = (await writeCachedFile(cache, 'org/e8', C1, 'tokenizer.json', tok)).blobPath;
        await writeCachedFile(cache, 'org/e8', C2, 'tokenizer.json', tok, { revision: 'old' });
        p.e11 = (await writeCachedFile(cache, 'org/e11', C1, 'model.onnx', bytes(700, 4), { revision: 'main' })).blobPath;
        p.other = (await writeCachedFile(cache, 'someone/else', C1, 'weights.bin', bytes(400, 5), { revision: 'main' })).blobPath;
      },
    });
    // Use order: E8 oldest, then E6, then E11 (E1 is loaded: protected).
    for (const s of ['E8', 'E6', 'E11'] as const) {
      h.clock.t += 1000;
      await h.manager.resolveFiles(s, new AbortController().signal);
    }
    // Total 1500+1000+1200+100+700+400 = 4900; limit 3000 → E8's model (1200) then E6 (1000) go: 2700.
    const result = await h.manager.enforceCacheLimit(new Set(['E1']));
    expect(result.removed.sort()).toEqual([p.e6, p.e8].sort());
    expect(result.removedBytes).toBe(2200);
    for (const k of ['e1', 'tok', 'e11', 'other']) expect(await exists(p[k] ?? '')).toBe(true);
    const r = await h.manager.readiness();
    expect(Object.fromEntries(r.slots.filter((s) => ['E1', 'E6', 'E8', 'E11'].includes(s.slot)).map((s) => [s.slot, s.status]))).toEqual({ E1: 'ready', E6: 'missing', E8: 'partial', E11: 'ready' });
  });

  it('does nothing without a limit or under it', async () => {
    h = await harness({ E6: slot('org/e6', ['model.onnx']) }, {
      prepareCache: async (cache) => { await writeCachedFile(cache, 'org/e6', C1, 'model.onnx', bytes(1000, 2), { revision: 'main' }); },
    });
    expect(await h.manager.enforceCacheLimit(new Set())).toEqual({ removedBytes: 0, removed: [] });
    h.manager.configure({ cacheLimitBytes: 5000 });
    expect(await h.manager.enforceCacheLimit(new Set())).toEqual({ removedBytes: 0, removed: [] });
    h.manager.configure({ cacheLimitBytes: 10 });
    expect((await h.manager.enforceCacheLimit(new Set())).removedBytes).toBe(1000);
  });
});
