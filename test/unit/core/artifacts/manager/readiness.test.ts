import { mkdir, open, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GiB } from '../../../../../src/shared/values/bytes.js';
import { sha256Of, writeCachedFile } from '../../../../../src/devkit/artifacts/hf-cache-writer.js';
import type { TestSlot } from '../../../../../src/devkit/artifacts/test-catalog.js';
import { C1, harness, type Harness } from './manager-harness.js';

const model = new Uint8Array(4096).map((_, i) => (i * 7) % 256);
const tokenizer = new TextEncoder().encode('{"model":{"type":"WordPiece"}}');

const e8: TestSlot = { repo: 'org/e8', revision: 'main', files: [{ path: 'onnx/model.onnx', role: 'model', size: model.length }, { path: 'tokenizer.json', role: 'tokenizer' }] };
const e1: TestSlot = { repo: 'org/e1', revision: C1, files: [{ path: 'model.onnx', role: 'model' }] };

let h: Harness | null = null;
afterEach(async () => { await h?.close(); h = null; });

async function pythonDownloaded(cache: string): Promise<void> {
  // What huggingface_hub leaves behind: LFS blob named by sha256, small file by git sha1.
  await writeCachedFile(cache, 'org/e8', C1, 'onnx/model.onnx', model, { revision: 'main' });
  await writeCachedFile(cache, 'org/e8', C1, 'tokenizer.json', tokenizer, { etag: 'git' });
}

describe('readiness', () => {
  it('recognises files Python downloaded as ready (unverified), others as missing, slots without a model as no-model', async () => {
    h = await harness({ E8: e8, E1: e1 }, { prepareCache: pythonDownloaded });
    const r = await h.manager.readiness();
    const e8r = r.slots.find((s) => s.slot === 'E8');
    expect(e8r).toMatchObject({ status: 'ready', code: null, presentBytes: model.length + tokenizer.length });
    expect(e8r?.files).toEqual([
      { path: 'onnx/model.onnx', size: model.length, present: true, verified: false },
      { path: 'tokenizer.json', size: tokenizer.length, present: true, verified: false },
    ]);
    expect(r.slots.find((s) => s.slot === 'E1')).toMatchObject({ status: 'missing', code: 'EMB-E101' });
    expect(r.slots.find((s) => s.slot === 'E5')).toMatchObject({ status: 'no-model', code: 'EMB-E118' });
    expect(r.ready).toBe(1);
    expect(r.total).toBe(13);
    expect(h.manager.states()).toMatchObject({ E8: 'ready', E1: 'missing', E5: 'missing' });
  });

  it('reports a size that differs from the catalog as failed (EMB-E109) and a half-present slot as partial', async () => {
    h = await harness(
      { E8: { ...e8, files: [{ path: 'onnx/model.onnx', role: 'model', size: model.length + 1 }] }, E6: { repo: 'org/e6', revision: 'main', files: [{ path: 'model.onnx', role: 'model' }, { path: 'tokenizer.json', role: 'tokenizer' }] } },
      {
        prepareCache: async (cache) => {
          await pythonDownloaded(cache);
          await writeCachedFile(cache, 'org/e6', C1, 'model.onnx', model, { revision: 'main' });
        },
      },
    );
    const r = await h.manager.readiness();
    expect(r.slots.find((s) => s.slot === 'E8')).toMatchObject({ status: 'failed', code: 'EMB-E109' });
    expect(r.slots.find((s) => s.slot === 'E6')).toMatchObject({ status: 'partial', code: 'EMB-E101' });
    expect(r.slots.find((s) => s.slot === 'E6')?.reason).toContain('tokenizer.json');
    expect(h.manager.states().E8).toBe('failed');
  });

  it('follows the ref: a snapshot of another commit than refs/main is missing', async () => {
    h = await harness({ E8: e8 }, {
      prepareCache: async (cache) => {
        await pythonDownloaded(cache);
        await writeFile(join(cache, 'models--org--e8', 'refs', 'main'), '3'.repeat(40));
      },
    });
    expect((await h.manager.readiness()).slots.find((s) => s.slot === 'E8')?.status).toBe('missing');
  });

  it('reads no file contents: one stat per file, refs only, even for a 16 GiB model', async () => {
    const huge: TestSlot = { repo: 'org/huge', revision: 'main', files: [{ path: 'model.onnx', role: 'model', size: 16 * GiB }] };
    h = await harness({ E8: e8, E1: e1, E10: huge }, {
      prepareCache: async (cache) => {
        await pythonDownloaded(cache);
        const f = await writeCachedFile(cache, 'org/huge', C1, 'model.onnx', new Uint8Array(1), { revision: 'main' });
        // A sparse 16 GiB blob: hashing it would read 16 GiB of zeros.
        const fh = await open(f.blobPath, 'r+');
        await fh.truncate(16 * GiB);
        await fh.close();
      },
    });
    h.fsCalls.length = 0;
    const r = await h.manager.readiness();
    expect(r.slots.find((s) => s.slot === 'E10')).toMatchObject({ status: 'ready', presentBytes: 16 * GiB });
    const reads = h.fsCalls.filter((c) => c.op === 'readFile');
    expect(reads.every((c) => c.path.includes(`${join('/', 'refs', '')}`))).toBe(true);
    expect(reads).toHaveLength(2); // refs/main of org/e8 and org/huge; E1 is pinned to a commit
    // One stat per catalog file whose commit is known: E8 (2 files), E1 (1), E10 (1).
    expect(h.fsCalls.filter((c) => c.op === 'stat')).toHaveLength(4);
    expect(r.computeMs).toBeGreaterThanOrEqual(0);
  });

  it('uses recorded verifications, written atomically in the state folder, not the HF cache', async () => {
    h = await harness({ E8: e8 }, { prepareCache: pythonDownloaded });
    expect((await h.manager.verify('E8')).ok).toBe(true);
    expect((await h.manager.readiness()).slots.find((s) => s.slot === 'E8')?.files.every((f) => f.verified)).toBe(true);
    const saved = JSON.parse(await readFile(join(h.stateDir, 'verifications.json'), 'utf8')) as { records: Record<string, { sha256: string; ok: boolean }> };
    const blob = join(h.cache, 'models--org--e8', 'blobs', sha256Of(model));
    expect(saved.records[blob]).toMatchObject({ sha256: sha256Of(model), ok: true });
    expect((await readdir(h.stateDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(h.cache)).toEqual(['models--org--e8']);
  });

  it.each(['{"version":1,"records":{"x":', 'not json', '{"version":2,"records":[]}'])('ignores a corrupt records file (%s)', async (text) => {
    h = await harness({ E8: e8 }, {
      prepareCache: async (cache, dir) => {
        await pythonDownloaded(cache);
        await mkdir(join(dir, 'state'), { recursive: true });
        await writeFile(join(dir, 'state', 'verifications.json'), text);
      },
    });
    const r = await h.manager.readiness();
    expect(r.slots.find((s) => s.slot === 'E8')).toMatchObject({ status: 'ready' });
    expect(r.slots.find((s) => s.slot === 'E8')?.files.some((f) => f.verified)).toBe(false);
    // The next verification replaces the damaged file with a valid one.
    await h.manager.verify('E8');
    expect(JSON.parse(await readFile(join(h.stateDir, 'verifications.json'), 'utf8'))).toMatchObject({ version: 1 });
  });
});
