import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlotDownloadProgress } from '../../../../../src/shared/artifacts/artifacts.js';
import { ModelbayError } from '../../../../../src/shared/errors/errors.js';
import { SlotSourceSchema } from '../../../../../src/shared/settings/settings.js';
import { sha256Of, writeCachedFile } from '../../../../../src/devkit/artifacts/hf-cache-writer.js';
import type { TestSlot } from '../../../../../src/devkit/artifacts/test-catalog.js';
import { C1, harness, type Harness } from './manager-harness.js';

let h: Harness | null = null;
afterEach(async () => { await h?.close(); h = null; });

const model = new Uint8Array(2_000_000).map((_, i) => (i * 13) % 251);
const tokenizer = new TextEncoder().encode('{"model":{}}');
const e8: TestSlot = { repo: 'org/e8', revision: 'main', dims: 384, files: [{ path: 'onnx/model.onnx', role: 'model', size: model.length, sha256: sha256Of(model) }, { path: 'tokenizer.json', role: 'tokenizer' }] };
const serve = (hh: Harness, repo = 'org/e8'): void => {
  hh.downloader.repos.set(repo, { commit: C1, files: new Map([['onnx/model.onnx', model], ['tokenizer.json', tokenizer]]) });
};
const states = (hh: Harness, slot: string): string[] => hh.events.flatMap((e) => (e.type === 'state' && e.slot === slot ? [e.state] : []));
const phases = (hh: Harness, slot: string): string[] => hh.events.flatMap((e) => (e.type === 'progress' && e.progress.slot === slot ? [e.progress.phase] : [])).filter((p, i, a) => a[i - 1] !== p);

describe('artifact manager', () => {
  it('downloads a slot, records it verified, and resolves real snapshot paths', async () => {
    h = await harness({ E8: e8 });
    serve(h);
    const p = await h.manager.download('E8');
    expect(p).toMatchObject({ slot: 'E8', phase: 'done', bytes: model.length + tokenizer.length, total: model.length + tokenizer.length, error: null });
    expect(states(h, 'E8')).toEqual(['downloading', 'verifying', 'ready']);
    expect(phases(h, 'E8')).toEqual(['resolving', 'downloading', 'verifying', 'done']);
    expect(h.events.some((e) => e.type === 'activity' && e.entry.message === 'E8 downloaded and verified (2.0 MB)')).toBe(true);
    const r = await h.manager.readiness();
    expect(r.slots.find((s) => s.slot === 'E8')?.files.every((f) => f.verified)).toBe(true);
    const files = await h.manager.resolveFiles('E8', new AbortController().signal);
    expect(files).toMatchObject({ externalData: [], pooling: 'mean', dims: 384 });
    expect(files.model.endsWith(`models--org--e8/snapshots/${C1}/onnx/model.onnx`)).toBe(true);
    expect(await realpath(files.model)).toBe(`${h.cache}/models--org--e8/blobs/${sha256Of(model)}`);
    expect(h.manager.fileBytes('E8')).toBe(model.length);
    // A second download finds everything verified and fetches nothing.
    h.downloader.calls.length = 0;
    expect((await h.manager.download('E8')).phase).toBe('done');
    expect(h.downloader.calls).toEqual([]);
  });

  it('refuses slots without a model with EMB-E118, everywhere', async () => {
    h = await harness({});
    await expect(h.manager.download('E9')).rejects.toMatchObject({ code: 'EMB-E118' });
    await expect(h.manager.prepare('E9', new AbortController().signal, true)).rejects.toMatchObject({ code: 'EMB-E118' });
    await expect(h.manager.resolveFiles('E9', new AbortController().signal)).rejects.toMatchObject({ code: 'EMB-E118' });
    expect(() => h?.manager.pause('E9')).toThrow(ModelbayError);
    expect(h.manager.fileBytes('E9')).toBeNull();
  });

  it('prepare: ready loads, missing fails with EMB-E101 unless auto-download fetches it first', async () => {
    h = await harness({ E8: e8 });
    serve(h);
    await expect(h.manager.prepare('E8', new AbortController().signal, false)).rejects.toMatchObject({ code: 'EMB-E101' });
    expect(h.downloader.calls).toEqual([]);
    await h.manager.prepare('E8', new AbortController().signal, true);
    expect(h.manager.states().E8).toBe('ready');
    await h.manager.prepare('E8', new AbortController().signal, false);
  });

  it('prepare says in words what is wrong with the files: "failed verification", never "are failed"', async () => {
    h = await harness({ E8: e8 }, {
      prepareCache: async (cache) => {
        await writeCachedFile(cache, 'org/e8', C1, 'onnx/model.onnx', model.subarray(0, 1000), { revision: 'main' });
        await writeCachedFile(cache, 'org/e8', C1, 'tokenizer.json', tokenizer);
      },
    });
    const refused = await h.manager.prepare('E8', new AbortController().signal, false).then(() => null, (e: unknown) => e as ModelbayError);
    expect(refused).toMatchObject({ code: 'EMB-E101', details: { status: 'failed', cause: 'EMB-E109' } });
    expect(refused?.message).toMatch(/^E8's model files failed verification\. onnx\/model\.onnx has 1000 B on disk, the catalog expects 1\.9 MiB\. Download the slot/);
    const resolve = await h.manager.resolveFiles('E8', new AbortController().signal).then(() => null, (e: unknown) => e as ModelbayError);
    expect(resolve?.message).toMatch(/^E8's model files failed verification\. /);
  });

  it('pause keeps the partial download, resume finishes it, cancel discards and goes back to missing', async () => {
    h = await harness({ E8: e8 });
    serve(h);
    const held = h.downloader.hold('onnx/model.onnx');
    const run = h.manager.download('E8');
    await held.reached;
    expect(h.manager.states().E8).toBe('downloading');
    const paused = h.manager.pause('E8');
    expect(paused.phase).toBe('paused');
    expect((await run).phase).toBe('paused');
    expect(h.downloader.discarded).toEqual([]);
    expect(h.manager.states().E8).toBe('missing');

    const done = waitFor(h, (p) => p.slot === 'E8' && p.phase === 'done');
    h.manager.resume('E8');
    await done;
    expect(h.manager.states().E8).toBe('ready');

    await h.manager.clear('E8');
    expect(h.downloader.discarded.map((d) => d.path).sort()).toEqual(['onnx/model.onnx', 'tokenizer.json']);
    h.downloader.discarded.length = 0;
    const held2 = h.downloader.hold('onnx/model.onnx');
    const run2 = h.manager.download('E8');
    await held2.reached;
    expect(h.manager.cancel('E8').phase).toBe('cancelled');
    await expect(run2).rejects.toMatchObject({ code: 'EMB-E114' });
    expect(h.downloader.discarded.map((d) => d.path).sort()).toEqual(['onnx/model.onnx', 'tokenizer.json']);
    expect(h.manager.states().E8).toBe('missing');
    expect(states(h, 'E8').at(-1)).toBe('missing');
  });

  it('resume right after pause finishes the download; cancel while paused discards the partial data', async () => {
    h = await harness({ E8: e8 });
    serve(h);
    const held = h.downloader.hold('onnx/model.onnx');
    const run = h.manager.download('E8');
    await held.reached;
    const done = waitFor(h, (p) => p.slot === 'E8' && p.phase === 'done');
    h.manager.pause('E8');
    h.manager.resume('E8');
    expect((await run).phase).toBe('paused');
    await done;
    expect(h.manager.states().E8).toBe('ready');
    expect(h.events.some((e) => e.type === 'state' && e.slot === 'E8' && e.state === 'failed')).toBe(false);

    await h.manager.clear('E8');
    expect(h.downloader.discarded.map((d) => d.path).sort()).toEqual(['onnx/model.onnx', 'tokenizer.json']);
    h.downloader.discarded.length = 0;
    const held2 = h.downloader.hold('onnx/model.onnx');
    const run2 = h.manager.download('E8');
    await held2.reached;
    h.manager.pause('E8');
    await run2;
    h.downloader.calls.length = 0;
    const cancelled = waitFor(h, (p) => p.slot === 'E8' && p.phase === 'cancelled');
    expect(h.manager.cancel('E8').phase).toBe('cancelled');
    await cancelled;
    expect(h.downloader.discarded.map((d) => d.path).sort()).toEqual(['onnx/model.onnx', 'tokenizer.json']);
    expect(h.downloader.calls).toEqual([]);
    expect(h.manager.states().E8).toBe('missing');
  });

  it('cancel right after pause cancels once', async () => {
    h = await harness({ E8: e8 });
    serve(h);
    const held = h.downloader.hold('onnx/model.onnx');
    const run = h.manager.download('E8');
    await held.reached;
    const cancelled = waitFor(h, (p) => p.slot === 'E8' && p.phase === 'cancelled');
    h.manager.pause('E8');
    h.manager.cancel('E8');
    expect((await run).phase).toBe('paused');
    await cancelled;
    expect(h.events.filter((e) => e.type === 'activity' && e.entry.message === 'E8 download cancelled')).toHaveLength(1);
    expect(h.manager.states().E8).toBe('missing');
    // A download after the cancel starts afresh and finishes.
    expect((await h.manager.download('E8')).phase).toBe('done');
  });

  it('downloadAll reports per slot: ready, failed with its code, skipped without a model', async () => {
    h = await harness({ E8: e8, E11: { ...e8, repo: 'org/e11' }, E6: { ...e8, repo: 'org/gated', gated: true } });
    serve(h);
    serve(h, 'org/e11');
    h.downloader.repos.set('org/gated', { commit: C1, files: new Map(), error: new ModelbayError('EMB-E102', 'org/gated is gated: accept its licence and set a token.') });
    const results = await h.manager.downloadAll();
    const by = Object.fromEntries(results.map((r) => [r.slot, r]));
    expect(by.E8).toEqual({ slot: 'E8', ok: true });
    expect(by.E11).toEqual({ slot: 'E11', ok: true });
    expect(by.E6).toMatchObject({ ok: false, error: { code: 'EMB-E102' } });
    expect(by.E5).toMatchObject({ ok: false, error: { code: 'EMB-E118' } });
    expect(results).toHaveLength(13);
    expect(h.manager.states().E6).toBe('failed');
    const r = await h.manager.readiness();
    expect(r.slots.find((s) => s.slot === 'E6')).toMatchObject({ status: 'failed', code: 'EMB-E102' });
    expect(h.events.some((e) => e.type === 'activity' && e.entry.code === 'EMB-E102' && e.entry.slot === 'E6')).toBe(true);
  });

  it('a user source points a slot at another repository', async () => {
    h = await harness({ E8: e8 });
    h.downloader.repos.set('me/mine', { commit: C1, files: new Map([['m.onnx', model], ['tokenizer.json', tokenizer]]) });
    const view = h.manager.setSlotSource('E5', SlotSourceSchema.parse({ repo: 'me/mine', model: 'm.onnx', pooling: 'cls', dims: 768 }));
    expect(view).toMatchObject({ slot: 'E5', status: 'real', repo: 'me/mine', dims: 768 });
    expect(h.events.some((e) => e.type === 'catalog' && e.catalog.find((c) => c.slot === 'E5')?.repo === 'me/mine')).toBe(true);
    await h.manager.download('E5');
    expect((await h.manager.resolveFiles('E5', new AbortController().signal)).pooling).toBe('cls');
    expect(h.manager.setSlotSource('E5', null).status).toBe('none');
  });

  it('starts with the sources from the settings in place of the catalog entries', async () => {
    h = await harness({ E8: e8 }, { sources: { E8: SlotSourceSchema.parse({ repo: 'me/mini', revision: C1, model: 'model_int8.onnx', tokenizer: null, dims: 256 }) } });
    const v = h.manager.catalog().find((c) => c.slot === 'E8');
    expect(v).toMatchObject({ repo: 'me/mini', revision: C1, dims: 256, files: [{ path: 'model_int8.onnx', role: 'model', size: null, sha256: null }] });
    expect((await h.manager.readiness()).slots.find((s) => s.slot === 'E8')).toMatchObject({ repo: 'me/mini', status: 'missing' });
    expect(h.manager.setSlotSource('E8', null).repo).toBe('org/e8');
  });

  it('emits at most one progress event per 100 ms per file, plus phase changes', async () => {
    h = await harness({ E8: { ...e8, files: [e8.files[0] as TestSlot['files'][number]] } });
    serve(h);
    // 50 updates while the clock stands still, then one 100 ms later.
    const hh = h;
    h.downloader.download = async (req, opts) => {
      for (let i = 1; i <= 50; i++) opts?.onProgress?.({ phase: 'downloading', bytes: i * 1000, total: model.length, speedBps: 1e6, etaSeconds: 1, retry: null });
      hh.clock.t += 100;
      opts?.onProgress?.({ phase: 'downloading', bytes: 60_000, total: model.length, speedBps: 1e6, etaSeconds: 1, retry: null });
      const { ScriptedDownloader } = await import('../../../../fixtures/scripted-downloader.js');
      const real = new ScriptedDownloader(hh.cache);
      real.repos.set('org/e8', { commit: C1, files: new Map([['onnx/model.onnx', model]]) });
      return real.download(req);
    };
    await h.manager.download('E8');
    const downloading = h.events.filter((e) => e.type === 'progress' && e.progress.phase === 'downloading');
    expect(downloading.map((e) => e.type === 'progress' && e.progress.bytes)).toEqual([1000, 60_000]);
  });

  it('carries a file retry into the slot progress, past the throttle, and clears it when bytes flow', async () => {
    h = await harness({ E8: { ...e8, files: [e8.files[0] as TestSlot['files'][number]] } });
    serve(h);
    const hh = h;
    const retry = { attempt: 3, of: 6, code: 'EMB-E107' as const, message: 'network error', nextAt: 4000 };
    h.downloader.download = async (req, opts) => {
      opts?.onProgress?.({ phase: 'downloading', bytes: 1000, total: model.length, speedBps: 0, etaSeconds: null, retry: null });
      // Same clock instant: the throttle would drop a plain byte update.
      opts?.onProgress?.({ phase: 'downloading', bytes: 1000, total: model.length, speedBps: 0, etaSeconds: null, retry });
      opts?.onProgress?.({ phase: 'downloading', bytes: 2000, total: model.length, speedBps: 0, etaSeconds: null, retry: null });
      const { ScriptedDownloader } = await import('../../../../fixtures/scripted-downloader.js');
      const real = new ScriptedDownloader(hh.cache);
      real.repos.set('org/e8', { commit: C1, files: new Map([['onnx/model.onnx', model]]) });
      return real.download(req);
    };
    await h.manager.download('E8');
    const progress = h.events.flatMap((e) => e.type === 'progress' && e.progress.phase === 'downloading' ? [e.progress] : []);
    expect(progress.map((p) => p.retry?.attempt ?? null)).toEqual([null, 3, null]);
    expect(progress[1]?.retry).toEqual(retry);
    expect(progress[1]?.files[0]?.retry).toEqual(retry);
  });
});

describe('artifact manager over a cache Python filled', () => {
  it('resolves model, external data and tokenizer to absolute snapshot paths, and follows a new cache folder live', async () => {
    const data = new Uint8Array(5000).map((_, i) => i % 7);
    const slotE1: TestSlot = { repo: 'org/big', revision: 'main', pooling: 'cls', dims: 1024, files: [{ path: 'onnx/model.onnx', role: 'model' }, { path: 'onnx/model.onnx_data', role: 'external-data' }, { path: 'tokenizer.json', role: 'tokenizer' }] };
    let other = '';
    h = await harness({ E1: slotE1 }, {
      prepareCache: async (_cache, dir) => {
        other = join(dir, 'other-cache');
        await writeCachedFile(other, 'org/big', C1, 'onnx/model.onnx', model, { revision: 'main' });
        await writeCachedFile(other, 'org/big', C1, 'onnx/model.onnx_data', data);
        await writeCachedFile(other, 'org/big', C1, 'tokenizer.json', tokenizer, { etag: 'git' });
      },
    });
    expect(h.manager.states().E1).toBe('missing');
    h.manager.configure({ cacheDir: other });
    expect(h.downloader.cacheDir).toBe(other);
    expect((await h.manager.readiness()).slots.find((s) => s.slot === 'E1')?.status).toBe('ready');
    const files = await h.manager.resolveFiles('E1', new AbortController().signal);
    const snap = join(other, 'models--org--big', 'snapshots', C1);
    expect(files).toEqual({ model: join(snap, 'onnx/model.onnx'), externalData: [join(snap, 'onnx/model.onnx_data')], tokenizer: join(snap, 'tokenizer.json'), pooling: 'cls', dims: 1024 });
    expect(h.manager.fileBytes('E1')).toBe(model.length + data.length);
  });
});

function waitFor(hh: Harness, pred: (p: SlotDownloadProgress) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = hh.manager.on((e) => {
      if (e.type === 'progress' && pred(e.progress)) { off(); resolve(); }
    });
  });
}
