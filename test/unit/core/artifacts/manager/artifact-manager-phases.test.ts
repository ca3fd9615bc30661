/**
 * Issue #10: queued reads queued, failed reads failed, and every running, queued or
 * retrying download can be paused, resumed and cancelled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SlotDownloadProgress } from '../../../../../src/shared/artifacts/artifacts.js';
import { ModelbayError } from '../../../../../src/shared/errors/errors.js';
import { sha256Of } from '../../../../../src/devkit/artifacts/hf-cache-writer.js';
import type { TestSlot } from '../../../../../src/devkit/artifacts/test-catalog.js';
import { C1, harness, type Harness } from './manager-harness.js';

let h: Harness | null = null;
afterEach(async () => { await h?.close(); h = null; });

const model = new Uint8Array(200_000).map((_, i) => (i * 7) % 251);
const tokenizer = new TextEncoder().encode('{"model":{}}');
const e8: TestSlot = { repo: 'org/e8', revision: 'main', dims: 384, files: [{ path: 'onnx/model.onnx', role: 'model', size: model.length, sha256: sha256Of(model) }, { path: 'tokenizer.json', role: 'tokenizer' }] };
const serve = (hh: Harness): void => {
  hh.downloader.repos.set('org/e8', { commit: C1, files: new Map([['onnx/model.onnx', model], ['tokenizer.json', tokenizer]]) });
};
const progressOf = (hh: Harness): SlotDownloadProgress[] => hh.events.flatMap((e) => (e.type === 'progress' && e.progress.slot === 'E8' ? [e.progress] : []));
/** Waits until `ok` holds (polling, so a slow machine only waits longer). */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
}
const lastPhase = (hh: Harness): string | undefined => progressOf(hh).at(-1)?.phase;

describe('artifact manager: what a download reads as', () => {
  it('a slot whose files all wait behind the concurrency limit reads queued, not downloading', async () => {
    h = await harness({ E8: e8 });
    serve(h);
    const a = h.downloader.queue('onnx/model.onnx');
    const b = h.downloader.queue('tokenizer.json');
    const run = h.manager.download('E8');
    const hh = h;
    await until(() => progressOf(hh).at(-1)?.files.every((f) => f.phase === 'queued') === true && lastPhase(hh) !== 'resolving');
    const last = progressOf(h).at(-1);
    expect(last?.phase).toBe('queued');
    expect(last?.files.map((f) => f.phase)).toEqual(['queued', 'queued']);
    expect(last?.speedBps).toBe(0);
    a.release();
    b.release();
    expect((await run).phase).toBe('done');
    expect(progressOf(h).map((p) => p.phase)).toContain('downloading');
  });

  it('a queued download can be paused, resumed and cancelled', async () => {
    h = await harness({ E8: e8 });
    serve(h);
    h.downloader.queue('onnx/model.onnx');
    h.downloader.queue('tokenizer.json');
    const run = h.manager.download('E8');
    const hh = h;
    await until(() => lastPhase(hh) === 'queued');
    expect(h.manager.pause('E8').phase).toBe('paused');
    expect((await run).phase).toBe('paused');
    const held = h.downloader.queue('onnx/model.onnx');
    h.manager.resume('E8');
    await until(() => progressOf(hh).at(-1)?.files[1]?.phase === 'done');
    // The tokenizer is done; the model still waits: nothing runs, so the slot reads queued.
    expect(progressOf(h).at(-1)?.files.map((f) => f.phase)).toEqual(['queued', 'done']);
    expect(progressOf(h).at(-1)?.phase).toBe('queued');
    expect(h.manager.cancel('E8').phase).toBe('cancelled');
    held.release();
    await until(() => lastPhase(hh) === 'cancelled');
    expect(h.manager.states().E8).toBe('missing');
  });

  it('when one file fails, the slot and its other files read failed and stand still', async () => {
    h = await harness({ E8: e8 });
    serve(h);
    const held = h.downloader.hold('onnx/model.onnx');
    const real = h.downloader.download.bind(h.downloader);
    h.downloader.download = async (req, opts) => {
      if (req.path !== 'tokenizer.json') return real(req, opts);
      await held.reached;
      throw new ModelbayError('EMB-E121', 'closed early', { retryable: false });
    };
    await expect(h.manager.download('E8')).rejects.toMatchObject({ code: 'EMB-E121' });
    const last = progressOf(h).at(-1);
    expect(last?.phase).toBe('failed');
    expect(last?.files.map((f) => [f.phase, f.speedBps])).toEqual([['failed', 0], ['failed', 0]]);
  });

  it('close() ends within its grace even when a transfer ignores the abort (shutdown never hangs)', async () => {
    h = await harness({ E8: e8 }, { closeGraceMs: 50 });
    serve(h);
    let started = false;
    h.downloader.download = () => { started = true; return new Promise(() => undefined); };
    const run = h.manager.download('E8');
    void run.catch(() => undefined);
    await until(() => started);
    await expect(h.manager.close()).resolves.toBeUndefined();
    expect(h.manager.states().E8).toBe('missing');
  });

  it('a permission problem reaches the slot and the activity log as EMB-E123 naming the folder, not EMB-E500', async () => {
    h = await harness({ E8: e8 });
    serve(h);
    const hh = h;
    h.downloader.download = () => Promise.reject(Object.assign(new Error(`EACCES: permission denied, mkdir '${hh.cache}/models--org--e8'`), { code: 'EACCES', path: `${hh.cache}/models--org--e8` }));
    await expect(h.manager.download('E8')).rejects.toMatchObject({ code: 'EMB-E123' });
    const logged = h.events.flatMap((e) => (e.type === 'activity' && e.entry.kind === 'error' ? [e.entry] : []));
    expect(logged.at(-1)).toMatchObject({ slot: 'E8', code: 'EMB-E123' });
    expect(logged.at(-1)?.message).toContain(h.cache);
    const failed = h.events.flatMap((e) => (e.type === 'state' && e.slot === 'E8' && e.state === 'failed' ? [e.error] : []));
    expect(failed.at(-1)?.code).toBe('EMB-E123');
  });
});
