import { access, open } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Of, writeCachedFile, type CachedFile } from '../../../../../src/devkit/artifacts/hf-cache-writer.js';
import type { TestSlot } from '../../../../../src/devkit/artifacts/test-catalog.js';
import { C1, harness, type Harness } from './manager-harness.js';

const model = new Uint8Array(300_000).map((_, i) => (i * 31) % 251);
const tokenizer = new TextEncoder().encode('{"model":{"type":"WordPiece","vocab":{}}}');

let h: Harness | null = null;
afterEach(async () => { await h?.close(); h = null; });

async function flipByte(path: string, at: number): Promise<void> {
  const fh = await open(path, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, at);
  b[0] = (b[0] ?? 0) ^ 0xff;
  await fh.write(b, 0, 1, at);
  await fh.close();
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

describe('verify', () => {
  it('a slot of one file is "verified (1 file, …)", not "1 files"', async () => {
    const e8: TestSlot = { repo: 'org/e8', revision: 'main', files: [{ path: 'onnx/model.onnx', role: 'model', sha256: sha256Of(model) }] };
    h = await harness({ E8: e8 }, { prepareCache: async (cache) => { await writeCachedFile(cache, 'org/e8', C1, 'onnx/model.onnx', model, { revision: 'main' }); } });
    expect((await h.manager.verify('E8')).ok).toBe(true);
    const said = h.events.flatMap((e) => (e.type === 'activity' && e.entry.kind === 'verify' ? [e.entry.message] : []));
    expect(said).toEqual(['E8 verified (1 file, 0.3 MB)']);
  });

  for (const pinned of [true, false]) {
    it(`finds a flipped byte against ${pinned ? "the catalog's sha256" : "the blob's LFS etag"} and reports EMB-E108`, async () => {
      let blob!: CachedFile;
      const e8: TestSlot = { repo: 'org/e8', revision: 'main', files: [{ path: 'onnx/model.onnx', role: 'model', sha256: pinned ? sha256Of(model) : null }, { path: 'tokenizer.json', role: 'tokenizer' }] };
      h = await harness({ E8: e8 }, {
        prepareCache: async (cache) => {
          blob = await writeCachedFile(cache, 'org/e8', C1, 'onnx/model.onnx', model, { revision: 'main' });
          await writeCachedFile(cache, 'org/e8', C1, 'tokenizer.json', tokenizer, { etag: 'git' });
        },
      });
      expect((await h.manager.verify('E8')).ok).toBe(true);
      await flipByte(blob.blobPath, 123_456);
      h.events.length = 0;
      const report = await h.manager.verify('E8');
      expect(report.ok).toBe(false);
      expect(report.files).toEqual([
        { path: 'onnx/model.onnx', ok: false, expected: sha256Of(model), actual: expect.not.stringMatching(sha256Of(model)) as unknown, reason: expect.stringContaining('checksum') as unknown },
        // The small file is checked against its git blob sha1 etag.
        { path: 'tokenizer.json', ok: true, expected: expect.stringMatching(/^[0-9a-f]{40}$/) as unknown, actual: expect.any(String) as unknown, reason: null },
      ]);
      const state = h.events.filter((e) => e.type === 'state');
      expect(state.map((e) => e.type === 'state' && e.state)).toEqual(['verifying', 'failed']);
      expect(state[1]?.type === 'state' && state[1].error?.code).toBe('EMB-E108');
      expect(h.events.some((e) => e.type === 'activity' && e.entry.code === 'EMB-E108' && e.entry.message.includes('onnx/model.onnx'))).toBe(true);
      const r = await h.manager.readiness();
      expect(r.slots.find((s) => s.slot === 'E8')).toMatchObject({ status: 'failed', code: 'EMB-E108' });
      expect(h.manager.states().E8).toBe('failed');
      await expect(h.manager.resolveFiles('E8', new AbortController().signal)).rejects.toMatchObject({ code: 'EMB-E101' });

      // A download afterwards deletes the corrupt blob first, then fetches it again.
      h.downloader.repos.set('org/e8', { commit: C1, files: new Map([['onnx/model.onnx', model], ['tokenizer.json', tokenizer]]) });
      const seen: boolean[] = [];
      h.downloader.onCall = async (req) => { if (req.path === 'onnx/model.onnx') seen.push(await exists(blob.blobPath)); };
      const p = await h.manager.download('E8');
      expect(p.phase).toBe('done');
      expect(seen).toEqual([false]);
      expect(h.downloader.calls.map((c) => c.path)).toEqual(['onnx/model.onnx']);
      expect((await h.manager.verify('E8')).ok).toBe(true);
      expect(h.manager.states().E8).toBe('ready');
    });
  }

  it('says which files are missing and does not mark the slot failed', async () => {
    h = await harness({ E8: { repo: 'org/e8', revision: 'main', files: [{ path: 'model.onnx', role: 'model' }, { path: 'tokenizer.json', role: 'tokenizer' }] } }, {
      prepareCache: async (cache) => { await writeCachedFile(cache, 'org/e8', C1, 'model.onnx', model, { revision: 'main' }); },
    });
    const report = await h.manager.verify('E8');
    expect(report.ok).toBe(false);
    expect(report.files.find((f) => f.path === 'tokenizer.json')).toMatchObject({ ok: false, actual: null, reason: 'missing from the cache' });
    expect(h.manager.states().E8).toBe('missing');
  });

  it('refuses a slot with no model with EMB-E118', async () => {
    h = await harness({});
    await expect(h.manager.verify('E5')).rejects.toMatchObject({ code: 'EMB-E118' });
  });
});
