import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../../../src/shared/settings/settings.js';
import { ModelbayError } from '../../../../../src/shared/errors/errors.js';
import { SettingsStore } from '../../../../../src/main/core/state/settings-store.js';
import { createFileTokenStore } from '../../../../../src/main/core/state/token-store.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'modelbay-settings-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) {
    chmodSync(d, 0o700);
    await rm(d, { recursive: true, force: true });
  }
});

describe('SettingsStore', () => {
  it('starts from defaults when there is no file, and writes the file on the first change', async () => {
    const dir = tempDir();
    const store = await SettingsStore.open({ dir });
    expect(store.get()).toEqual(defaultSettings());
    expect(store.warnings).toEqual([]);
    await store.update({ downloadConcurrency: 5 });
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ downloadConcurrency: 5 });
    expect((await SettingsStore.open({ dir })).get().downloadConcurrency).toBe(5);
  });

  it('a file that is not JSON is moved aside, defaults are used, and a warning says so', async () => {
    const dir = tempDir();
    const text = '{"downloadConcurrency": 3,';
    writeFileSync(join(dir, 'settings.json'), text);
    const store = await SettingsStore.open({ dir, now: () => 1234 });
    expect(store.get()).toEqual(defaultSettings());
    expect(store.warnings).toHaveLength(1);
    expect(store.warnings[0]).toContain('settings.json.invalid-1234');
    expect(readFileSync(join(dir, 'settings.json.invalid-1234'), 'utf8')).toBe(text);
    expect(readdirSync(dir)).not.toContain('settings.json');
  });

  it.each([
    ['a wrong type', { downloadConcurrency: 'three' }, 'downloadConcurrency'],
    ['falling thresholds', { thresholds: { low: 0.9, medium: 0.5, high: 0.95 } }, 'thresholds'],
    ['an out-of-range budget', { cpuBudgetBytes: -5 }, 'cpuBudgetBytes'],
  ])('a file with %s is salvaged: the original is kept aside, only that field is reset, and the warning names it', async (_what, bad, field) => {
    const dir = tempDir();
    const sources = Object.fromEntries(['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9', 'E10', 'E11', 'E12', 'E13'].map((id) => [
      id, { pinned: id === 'E2', source: { repo: `org/model-${id.toLowerCase()}`, revision: 'main', model: 'onnx/model.onnx', externalData: [], tokenizer: 'tokenizer.json', pooling: 'mean', dims: null } },
    ]));
    const text = JSON.stringify({ loadConcurrency: 4, strictGpu: true, ...bad, slots: sources });
    writeFileSync(join(dir, 'settings.json'), text);
    const store = await SettingsStore.open({ dir, now: () => 1234 });
    expect(store.warnings).toHaveLength(1);
    expect(store.warnings[0]).toContain(field);
    expect(store.warnings[0]).toContain('settings.json.invalid-1234');
    expect(readFileSync(join(dir, 'settings.json.invalid-1234'), 'utf8')).toBe(text);
    const s = store.get();
    expect((s as Record<string, unknown>)[field]).toEqual((defaultSettings() as Record<string, unknown>)[field]);
    expect(s.loadConcurrency).toBe(4);
    expect(s.strictGpu).toBe(true);
    expect(Object.keys(s.slots)).toHaveLength(13);
    expect(s.slots.E13?.source?.repo).toBe('org/model-e13');
    expect(s.slots.E2?.pinned).toBe(true);
    // The salvaged settings are on disk: the next start reads them without a warning.
    const again = await SettingsStore.open({ dir });
    expect(again.warnings).toEqual([]);
    expect(again.get()).toEqual(s);
  });

  it('a slot source that breaks a rule resets only that field of that slot', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({
      slots: {
        E1: { pinned: true, source: { repo: 'org/ok', model: 'C:/x.onnx' } },
        E2: { preload: true, source: { repo: 'org/ok2', model: 'model.onnx' } },
      },
    }));
    const store = await SettingsStore.open({ dir });
    expect(store.warnings[0]).toContain('slots.E1.source');
    expect(store.get().slots.E1).toMatchObject({ pinned: true, source: null });
    expect(store.get().slots.E2).toMatchObject({ preload: true, source: { repo: 'org/ok2' } });
  });

  it('temporary files a killed write left behind are removed at start', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), '{}');
    writeFileSync(join(dir, '.settings.json.4242.abcd1234.tmp'), '{"half');
    writeFileSync(join(dir, 'unrelated.tmp'), 'keep');
    await SettingsStore.open({ dir });
    expect(readdirSync(dir).sort()).toEqual(['settings.json', 'unrelated.tmp']);
  });

  it('an invalid update is EMB-E406 with the issues, and changes nothing in memory or on disk', async () => {
    const dir = tempDir();
    const store = await SettingsStore.open({ dir });
    await store.update({ loadConcurrency: 4 });
    const disk = readFileSync(join(dir, 'settings.json'), 'utf8');
    const err = await store.update({ loadConcurrency: 99, strictGpu: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelbayError);
    expect((err as ModelbayError).code).toBe('EMB-E406');
    expect((err as ModelbayError).details['issues']).toEqual([expect.objectContaining({ path: 'loadConcurrency' })]);
    expect(store.get().strictGpu).toBe(false);
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe(disk);
  });

  it('slot entries merge field by field', async () => {
    const store = await SettingsStore.open({ dir: tempDir() });
    await store.updateSlot('E1', { pinned: true });
    await store.updateSlot('E1', { preload: true });
    await store.update({ slots: { E2: { idleTtlMs: 5000 } } });
    expect(store.get().slots['E1']).toMatchObject({ pinned: true, preload: true });
    expect(store.get().slots['E2']).toMatchObject({ idleTtlMs: 5000, pinned: false });
  });

  it('writes are atomic: no temporary files remain, and the file is valid after many concurrent updates', async () => {
    const dir = tempDir();
    const store = await SettingsStore.open({ dir });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.update({ downloadConcurrency: (i % 8) + 1, loadConcurrency: (i % 13) + 1 })));
    expect(readdirSync(dir)).toEqual(['settings.json']);
    const disk = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as unknown;
    expect(disk).toEqual(store.get());
  });

  it('a write that fails is EMB-E406 and leaves the old settings in memory', async () => {
    const dir = tempDir();
    const store = await SettingsStore.open({ dir });
    await store.update({ downloadConcurrency: 2 });
    // A non-empty directory where the file goes: the rename fails, even for root.
    await rm(join(dir, 'settings.json'));
    mkdirSync(join(dir, 'settings.json', 'blocker'), { recursive: true });
    const err = await store.update({ downloadConcurrency: 7 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelbayError);
    expect((err as ModelbayError).code).toBe('EMB-E406');
    expect(store.get().downloadConcurrency).toBe(2);
    expect(readdirSync(dir)).toEqual(['settings.json']);
  });
});

describe('file token store', () => {
  it('keeps the token in a 0600 file, and removes it with null', () => {
    const path = join(tempDir(), 'token');
    const store = createFileTokenStore(path);
    expect(store.get()).toBeNull();
    store.set('hf_abc');
    expect(store.get()).toBe('hf_abc');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(store.encrypted).toBe(false);
    store.set(null);
    expect(store.get()).toBeNull();
  });

  it('with a cipher the file holds only ciphertext', () => {
    const path = join(tempDir(), 'token');
    const cipher = {
      encrypt: (s: string) => Buffer.from([...Buffer.from(s)].map((b) => b ^ 0x5a)),
      decrypt: (b: Buffer) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString(),
    };
    const store = createFileTokenStore(path, cipher);
    store.set('hf_secret');
    expect(readFileSync(path, 'utf8')).not.toContain('hf_secret');
    expect(store.get()).toBe('hf_secret');
    expect(store.encrypted).toBe(true);
    // Without the cipher (another machine), a sealed token reads as unset rather than garbage.
    expect(createFileTokenStore(path).get()).toBeNull();
  });

  it('a token sealed before the keyring went away (basic_text) still opens, and is written back unsealed', () => {
    const path = join(tempDir(), 'token');
    const cipher = {
      encrypt: (s: string) => Buffer.from([...Buffer.from(s)].map((b) => b ^ 0x5a)),
      decrypt: (b: Buffer) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString(),
    };
    createFileTokenStore(path, cipher).set('hf_sealed');
    const store = createFileTokenStore(path, null, { backend: 'basic_text', legacyDecrypt: (b) => cipher.decrypt(b) });
    expect(store.get()).toBe('hf_sealed');
    expect(store.encrypted).toBe(false);
    expect(store.backend).toBe('basic_text');
    store.set('hf_new');
    expect(readFileSync(path, 'utf8')).toBe('plain:hf_new\n');
  });
});

describe('SettingsStore: a patch changes exactly what it names', () => {
  const nonDefault = {
    gpuBudgetBytes: 6 * 1024 ** 3,
    cpuBudgetBytes: 3 * 1024 ** 3,
    thresholds: { low: 0.4, medium: 0.7, high: 0.9 },
    cacheDir: '/tmp/modelbay-cache-elsewhere',
    cacheLimitBytes: 50 * 1024 ** 3,
    hfEndpoint: 'http://127.0.0.1:9/',
    downloadConcurrency: 5,
    loadConcurrency: 4,
    idleTtlMs: 600_000,
    strictGpu: true,
    autoDownload: true,
  };

  it.each([
    ['pin', { slots: { E1: { pinned: true } } }],
    ['preload', { slots: { E2: { preload: true } } }],
    ['device', { slots: { E3: { device: 'cpu' } } }],
    ['idle TTL', { slots: { E4: { idleTtlMs: 1000 } } }],
    ['one global', { downloadConcurrency: 2 }],
  ])('a %s patch keeps every other field byte-identical in memory and on disk', async (_what, patch) => {
    const dir = tempDir();
    const store = await SettingsStore.open({ dir });
    await store.update({ ...nonDefault, slots: { E9: { pinned: true, preload: true } } });
    const before = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>;
    await store.update(patch);
    const after = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>;
    for (const key of Object.keys(before)) {
      if (key in patch && key !== 'slots') continue;
      if (key === 'slots') {
        const b = before['slots'] as Record<string, unknown>;
        const a = after['slots'] as Record<string, unknown>;
        expect(a['E9']).toEqual(b['E9']);
        continue;
      }
      expect(after[key], key).toEqual(before[key]);
      expect((store.get() as Record<string, unknown>)[key], key).toEqual(before[key]);
    }
  });
});
