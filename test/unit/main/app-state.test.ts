/**
 * One owner of state: a refused request changes nothing (in memory or on disk), a patch
 * changes exactly the fields it names, and a change that cannot be saved is not applied.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandReply } from '../../../src/shared/contract/api.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function make(options: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = await harness(options);
  open.push(h);
  return h;
}

function ok<T>(reply: CommandReply): T {
  if (!reply.ok) throw new Error(`expected success, got ${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
}

const NON_DEFAULT = {
  gpuBudgetBytes: 6 * 1024 ** 3,
  cpuBudgetBytes: 3 * 1024 ** 3,
  thresholds: { low: 0.4, medium: 0.7, high: 0.9 },
  cacheLimitBytes: 50 * 1024 ** 3,
  hfEndpoint: 'http://127.0.0.1:9/',
  downloadConcurrency: 5,
  loadConcurrency: 4,
  idleTtlMs: 600_000,
  strictGpu: true,
  autoDownload: true,
};

const disk = (h: Harness): Record<string, unknown> => JSON.parse(readFileSync(join(h.dir, 'settings.json'), 'utf8')) as Record<string, unknown>;

describe('App: a per-slot command keeps every global setting', () => {
  it.each([
    ['pin', { slot: 'E1' }],
    ['unpin', { slot: 'E1' }],
    ['setPreload', { slot: 'E2', preload: true }],
    ['setDevice', { slot: 'E3', device: 'cpu' }],
    ['setIdleTtl', { slot: 'E4', ttlMs: 60_000 }],
    ['setSlotSource', { slot: 'E5', source: { repo: 'me/my-model', model: 'model.onnx' } }],
  ])('%s leaves the global settings byte-identical on disk and in memory', async (command, input) => {
    const h = await make();
    ok(await h.app.execute('updateSettings', { ...NON_DEFAULT, cacheDir: join(h.dir, 'cache') }));
    const before = disk(h);
    ok(await h.app.execute(command, input));
    const after = disk(h);
    const { slots: _b, ...globalsBefore } = before;
    const { slots: _a, ...globalsAfter } = after;
    expect(globalsAfter).toEqual(globalsBefore);
    const { slots: _m, ...memory } = h.settings.get();
    expect(memory).toEqual(globalsBefore);
    expect(h.app.snapshot().settings.settings.downloadConcurrency).toBe(5);
  });
});

describe('App: a refused request changes nothing', () => {
  it.each([
    ['a drive-letter model path', { repo: 'me/model', model: 'C:/x.onnx' }],
    ['a NUL in the model path', { repo: 'me/model', model: 'x\u0000.onnx' }],
    ['a drive-letter external data path', { repo: 'me/model', model: 'model.onnx', externalData: ['d:x'] }],
    ['a repo id with ..', { repo: 'a/..', model: 'model.onnx' }],
    ['a revision of ..', { repo: 'me/model', revision: '..', model: 'model.onnx' }],
    ['a repo id with //', { repo: 'a//b', model: 'model.onnx' }],
  ])('setSlotSource with %s is refused; the slot, the settings and the dashboard are untouched', async (_what, source) => {
    const h = await make();
    ok(await h.app.execute('pin', { slot: 'E2' }));
    const before = readFileSync(join(h.dir, 'settings.json'), 'utf8');
    const catalog = JSON.stringify(h.app.snapshot().catalog);
    const reply = await h.app.execute('setSlotSource', { slot: 'E5', source });
    expect(reply.ok).toBe(false);
    expect(readFileSync(join(h.dir, 'settings.json'), 'utf8')).toBe(before);
    expect(h.artifacts.sources.has('E5')).toBe(false);
    expect(JSON.stringify(h.app.snapshot().catalog)).toBe(catalog);
    // The dashboard keeps working: the snapshot, readiness and a load answer as before.
    expect((await h.app.execute('getSnapshot', {})).ok).toBe(true);
    expect((await h.app.execute('refreshReadiness', {})).ok).toBe(true);
  });

  it.each([
    ['a relative path', 'models/cache'],
    ['a blank', '   '],
    ['the root', '/'],
    ['/etc', '/etc'],
    ['/dev/null', '/dev/null'],
    ['/proc/self', '/proc/self'],
    ['a NUL', '/tmp/a\u0000b'],
  ])('updateSettings with cacheDir = %s is refused and nothing changes', async (_what, cacheDir) => {
    const h = await make();
    ok(await h.app.execute('updateSettings', { downloadConcurrency: 5 }));
    const before = readFileSync(join(h.dir, 'settings.json'), 'utf8');
    const reply = await h.app.execute('updateSettings', { cacheDir, downloadConcurrency: 1 });
    expect(reply.ok).toBe(false);
    expect(readFileSync(join(h.dir, 'settings.json'), 'utf8')).toBe(before);
    expect(h.settings.get().cacheDir).toBeNull();
    expect(h.settings.get().downloadConcurrency).toBe(5);
  });

  it('updateSettings refuses the data folder (and a folder around it) as the cache', async () => {
    const h = await make();
    for (const cacheDir of [h.dir, `${h.dir}/`, join(h.dir, '..')]) {
      const reply = await h.app.execute('updateSettings', { cacheDir });
      expect(reply.ok ? 'ok' : reply.error.code).toBe('EMB-E406');
    }
    expect(h.settings.get().cacheDir).toBeNull();
  });

  it('a data folder that cannot be written: setSlotSource and pin answer EMB-E406 and change nothing', async () => {
    const h = await make();
    ok(await h.app.execute('updateSettings', { downloadConcurrency: 4 }));
    // A non-empty directory where settings.json goes: the rename fails, even for root.
    await rm(join(h.dir, 'settings.json'));
    mkdirSync(join(h.dir, 'settings.json', 'blocker'), { recursive: true });
    const catalog = JSON.stringify(h.app.snapshot().catalog);
    const src = await h.app.execute('setSlotSource', { slot: 'E5', source: { repo: 'me/model', model: 'model.onnx' } });
    expect(src.ok ? 'ok' : src.error.code).toBe('EMB-E406');
    expect(h.artifacts.sources.has('E5')).toBe(false);
    expect(JSON.stringify(h.app.snapshot().catalog)).toBe(catalog);
    const pin = await h.app.execute('pin', { slot: 'E1' });
    expect(pin.ok ? 'ok' : pin.error.code).toBe('EMB-E406');
    expect(h.app.snapshot().slots.find((s) => s.id === 'E1')?.pinned).toBe(false);
    const dev = await h.app.execute('setIdleTtl', { slot: 'E1', ttlMs: 5000 });
    expect(dev.ok ? 'ok' : dev.error.code).toBe('EMB-E406');
    expect(h.app.snapshot().slots.find((s) => s.id === 'E1')?.idleTtlMs).toBeNull();
  });
});

describe('an empty slot (no model)', () => {
  it('cannot be pinned or preloaded: EMB-E118, and nothing changes in memory or on disk', async () => {
    const h = await make({ noModel: ['E5'] });
    const saved = (): string | null => (existsSync(join(h.dir, 'settings.json')) ? readFileSync(join(h.dir, 'settings.json'), 'utf8') : null);
    const before = saved();
    for (const [command, input] of [['pin', { slot: 'E5' }], ['setPreload', { slot: 'E5', preload: true }]] as const) {
      const reply = await h.app.execute(command, input);
      expect(reply.ok).toBe(false);
      if (!reply.ok) {
        expect(reply.error.code).toBe('EMB-E118');
        expect(reply.error.message).toMatch(/^E5 has no model: /);
        expect(reply.error.details).toMatchObject({ slot: 'E5' });
      }
    }
    expect(h.app.snapshot().slots.find((s) => s.id === 'E5')).toMatchObject({ pinned: false, preload: false });
    expect(saved()).toBe(before);
    // Taking a pin or preload away is always allowed (a slot whose model was removed may still carry one).
    ok(await h.app.execute('unpin', { slot: 'E5' }));
    ok(await h.app.execute('setPreload', { slot: 'E5', preload: false }));
    // A slot with a model pins as before.
    ok(await h.app.execute('pin', { slot: 'E6' }));
  });

  it('cannot be pinned or preloaded through updateSettings either, unless the same patch gives it a model', async () => {
    const h = await make({ noModel: ['E5'] });
    const saved = (): string | null => (existsSync(join(h.dir, 'settings.json')) ? readFileSync(join(h.dir, 'settings.json'), 'utf8') : null);
    const before = saved();
    for (const patch of [{ pinned: true }, { preload: true }, { pinned: true, preload: true }]) {
      const reply = await h.app.execute('updateSettings', { slots: { E5: patch } });
      expect(reply.ok ? 'ok' : reply.error.code).toBe('EMB-E118');
      if (!reply.ok) expect(reply.error.details).toMatchObject({ slot: 'E5' });
    }
    expect(h.app.snapshot().slots.find((s) => s.id === 'E5')).toMatchObject({ pinned: false, preload: false });
    expect(saved()).toBe(before);
    // Other settings in a refused patch are not half-applied.
    const mixed = await h.app.execute('updateSettings', { downloadConcurrency: 5, slots: { E5: { pinned: true } } });
    expect(mixed.ok).toBe(false);
    expect(h.settings.get().downloadConcurrency).not.toBe(5);
    // With its own model in the same patch, the pin is fine.
    ok(await h.app.execute('updateSettings', { slots: { E5: { pinned: true, source: { repo: 'me/model', model: 'model.onnx' } } } }));
    expect(h.settings.get().slots.E5?.pinned).toBe(true);
  });
});
