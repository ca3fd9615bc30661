import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../../../src/shared/settings.js';
import { ModelbayError } from '../../../../../src/shared/errors.js';
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

  it.each([
    ['not JSON', '{"downloadConcurrency": 3,'],
    ['a wrong type', '{"downloadConcurrency": "three"}'],
    ['falling thresholds', '{"thresholds": {"low": 0.9, "medium": 0.5, "high": 0.95}}'],
  ])('a file with %s is moved aside, defaults are used, and a warning says so', async (_what, text) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), text);
    const store = await SettingsStore.open({ dir, now: () => 1234 });
    expect(store.get()).toEqual(defaultSettings());
    expect(store.warnings).toHaveLength(1);
    expect(store.warnings[0]).toContain('settings.json.invalid-1234');
    expect(readFileSync(join(dir, 'settings.json.invalid-1234'), 'utf8')).toBe(text);
    expect(readdirSync(dir)).not.toContain('settings.json');
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
