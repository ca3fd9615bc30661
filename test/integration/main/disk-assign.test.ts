/**
 * Models already on disk, end to end: a cache written the way huggingface_hub writes it
 * (links with refs/, and copies with no refs/) is scanned in the background at start; a
 * found model is assigned to a slot without any download (no Hub exists in this test),
 * loads in a real session host and embeds; a revision in use cannot be deleted; a
 * corrupt blob leaves the slot as it was.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, AssignResult, CommandReply, DeleteRevisionResult, EmbedResult } from '../../../src/shared/contract/api.js';
import type { DiskView } from '../../../src/shared/artifacts/discovery.js';
import { composeApp, type Composition } from '../../../src/main/startup/compose.js';
import { writeCachedFile } from '../../../src/devkit/artifacts/hf-cache-writer.js';
import { writeEmbeddingModel, type EmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { writeCatalog } from '../../../src/devkit/artifacts/test-catalog.js';
import { testLauncher } from '../runtime/test-hosts.js';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const C3 = '3'.repeat(40);

function ok<T>(reply: CommandReply): T {
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
}

describe('models on disk: scan, assign, delete', () => {
  let dir: string;
  let cache: string;
  let c: Composition;
  let model: EmbeddingModel;
  const events: AppEvent[] = [];
  let corruptBlob: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-disk-'));
    cache = join(dir, 'hub');
    model = await writeEmbeddingModel({ dir: join(dir, 'gen'), vocab: 300, dim: 16 });
    const onnx = await readFile(model.modelPath);
    const tokenizer = await readFile(model.tokenizerPath);
    const config = new TextEncoder().encode('{"model_type":"bert"}');
    // Python downloaded org/mini twice: main now, and an older v1 sharing the tokenizer blob.
    await writeCachedFile(cache, 'org/mini', C1, 'onnx/model.onnx', onnx, { revision: 'main' });
    await writeCachedFile(cache, 'org/mini', C1, 'tokenizer.json', tokenizer);
    await writeCachedFile(cache, 'org/mini', C1, 'config.json', config, { etag: 'git' });
    await writeCachedFile(cache, 'org/mini', C2, 'onnx/model.onnx', onnx.subarray(0, onnx.length - 1), { revision: 'v1' });
    await writeCachedFile(cache, 'org/mini', C2, 'tokenizer.json', tokenizer);
    // A Windows copy with no refs/, and a repo whose blob no longer matches its sha256 name.
    await writeCachedFile(cache, 'org/copied', C3, 'model.onnx', onnx, { copy: true });
    await writeCachedFile(cache, 'org/copied', C3, 'tokenizer.json', tokenizer, { copy: true });
    corruptBlob = (await writeCachedFile(cache, 'org/rotten', C1, 'model.onnx', onnx)).blobPath;
    await writeCachedFile(cache, 'org/rotten', C1, 'tokenizer.json', tokenizer);
    const bad = Buffer.from(onnx);
    bad[100] = (bad[100] ?? 0) ^ 0xff;
    await writeFile(corruptBlob, bad);

    c = await composeApp({
      mode: 'headless',
      dataDir: join(dir, 'data'),
      catalogPath: await writeCatalog(dir, {}),
      launcher: testLauncher(),
      env: { HOME: dir, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' },
      app: { gpu: { nvidiaSmi: null }, totalMemoryBytes: 16 * 1024 ** 3, hostLoadOptions: { intraOpNumThreads: 1, batchSize: 4, maxSequenceLength: 32 } },
    });
    c.app.subscribe((e) => events.push(e));
    await c.app.start();
  });
  afterAll(async () => {
    await c.app.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('scans the cache in the background at start and reports repos, sizes and models', async () => {
    const view = ok<DiskView>(await c.app.execute('scanDisk', { wait: true }));
    const report = view.report!;
    expect(report.cacheDir).toBe(cache);
    expect(report.repos.map((r) => r.repo)).toEqual(['org/copied', 'org/mini', 'org/rotten']);
    expect(report.totalBytes).toBe(report.repos.reduce((s, r) => s + r.sizeOnDisk, 0));
    expect(report.models.map((m) => m.id).sort()).toEqual([
      `hf:org/copied@${C3}:model.onnx`, `hf:org/mini@${C1}:onnx/model.onnx`, `hf:org/mini@${C2}:onnx/model.onnx`, `hf:org/rotten@${C1}:model.onnx`,
    ]);
    expect(events.some((e) => e.type === 'disk' && e.disk.report !== null)).toBe(true);
    expect(c.app.snapshot().disk.report?.repos).toHaveLength(3);
  });

  it('assigns a found model: the slot is ready without a download, loads and embeds', async () => {
    const id = `hf:org/mini@${C1}:onnx/model.onnx`;
    const result = ok<AssignResult>(await c.app.execute('assignModel', { slot: 'E1', model: id }));
    expect(result.verify.ok).toBe(true);
    expect(result.model.usedBy).toEqual(['E1']);
    expect(c.settings.get().slots.E1?.source).toMatchObject({ repo: 'org/mini', revision: C1, model: 'onnx/model.onnx', tokenizer: 'tokenizer.json' });
    expect(c.app.snapshot().slots.find((s) => s.id === 'E1')?.state).toBe('ready');
    expect(c.app.snapshot().disk.report?.models.find((m) => m.id === id)?.usedBy).toEqual(['E1']);

    const probed = new Promise<void>((resolve) => {
      const off = c.app.subscribe((e) => {
        if (e.type === 'usage' && e.usage.slot === 'E1' && e.usage.lastProbe) {
          off();
          resolve();
        }
      });
    });
    expect(ok<{ alreadyLoaded: boolean; state: string }>(await c.app.execute('load', { slot: 'E1' }))).toMatchObject({ alreadyLoaded: false, state: 'loaded' });
    // Loading again changes nothing, and says so (the seed's AlreadyLoaded).
    expect(ok<{ alreadyLoaded: boolean; state: string }>(await c.app.execute('load', { slot: 'E1' }))).toMatchObject({ alreadyLoaded: true, state: 'loaded' });
    // A fresh load is probed once in the background: one tiny embed, not counted as a use.
    await probed;
    expect(c.app.snapshot().usage.find((u) => u.slot === 'E1')).toMatchObject({ health: 'healthy', uses: 0, lastProbe: { ok: true, dims: 16 } });
    const embedded = ok<EmbedResult>(await c.app.execute('embed', { slot: 'E1', texts: ['hello world'] }));
    const expected = Array.from(model.reference('hello world')).map((x) => Math.round(x * 1e4));
    expect(embedded.vectors[0]?.map((x) => Math.round(x * 1e4))).toEqual(expected);
    ok(await c.app.execute('embed', { slot: 'E1', texts: ['a', 'b', 'c'] }));
    const usage = c.app.snapshot().usage.find((u) => u.slot === 'E1');
    expect(usage).toMatchObject({ health: 'healthy', uses: 2, texts: 4, failures: 0 });
    expect(usage?.meanMs).toBeGreaterThan(0);
    expect(usage?.p95Ms).toBeGreaterThan(0);
    const probe = ok<{ ok: boolean; dims: number }>(await c.app.execute('probe', { slot: 'E1' }));
    expect(probe).toMatchObject({ ok: true, dims: 16 });
    const notLoaded = await c.app.execute('probe', { slot: 'E5' });
    expect(!notLoaded.ok && notLoaded.error.code).toBe('EMB-E005');
    // A load that fails counts against the slot's health.
    const failed = await c.app.execute('embed', { slot: 'E5', texts: ['x'] });
    expect(failed.ok).toBe(false);
    expect(c.app.snapshot().usage.find((u) => u.slot === 'E5')).toMatchObject({ health: 'degraded', failures: 1, lastError: { code: 'EMB-E118' } });
  });

  it('refuses to delete the revision a loaded slot uses; after unload it goes, and the blob the other revision shares stays', async () => {
    const refused = await c.app.execute('deleteRevision', { repo: 'org/mini', commit: C1 });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error).toMatchObject({ code: 'EMB-E132', details: { slots: ['E1'] } });
    ok(await c.app.execute('unload', { slot: 'E1' }));
    const done = ok<DeleteRevisionResult>(await c.app.execute('deleteRevision', { repo: 'org/mini', commit: C1 }));
    expect(done.removedBytes).toBeGreaterThan(0);
    expect(done.keptShared).toBe(1);
    const mini = done.disk.report?.repos.find((r) => r.repo === 'org/mini');
    expect(mini?.revisions.map((r) => [r.commit, r.refs])).toEqual([[C2, ['v1']]]);
    expect(mini?.warnings).toEqual([]);
    // E1's files are gone: it says so instead of pretending.
    expect(c.app.snapshot().slots.find((s) => s.id === 'E1')?.state).toBe('missing');
    const again = await c.app.execute('deleteRevision', { repo: 'org/mini', commit: C1 });
    expect(!again.ok && again.error.code).toBe('EMB-E134');
  });

  it('assigns a copy from a cache without refs/ (hashed only), and a corrupt blob leaves the slot as it was', async () => {
    const copied = ok<AssignResult>(await c.app.execute('assignModel', { slot: 'E2', model: `hf:org/copied@${C3}:model.onnx` }));
    expect(copied.verify.files.map((f) => f.reason)).toEqual(['no reference checksum known: hashed only', 'no reference checksum known: hashed only']);
    expect(c.app.snapshot().slots.find((s) => s.id === 'E2')?.state).toBe('ready');

    const rotten = await c.app.execute('assignModel', { slot: 'E2', model: `hf:org/rotten@${C1}:model.onnx` });
    expect(!rotten.ok && rotten.error.code).toBe('EMB-E108');
    expect(c.settings.get().slots.E2?.source).toMatchObject({ repo: 'org/copied', revision: C3 });
    expect(c.app.snapshot().catalog.find((v) => v.slot === 'E2')?.repo).toBe('org/copied');
    expect(c.app.snapshot().slots.find((s) => s.id === 'E2')?.state).toBe('ready');

    const unknown = await c.app.execute('assignModel', { slot: 'E3', model: 'hf:org/none@x:model.onnx' });
    expect(!unknown.ok && unknown.error.code).toBe('EMB-E130');
  });
});
