import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_COMMAND_BYTES, type AppEvent, type CommandReply } from '../../../src/shared/contract/api.js';
import { ModelbayError } from '../../../src/shared/errors/errors.js';
import { SettingsStore } from '../../../src/main/core/state/settings-store.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';
import { writeCachedFile } from '../../../src/devkit/artifacts/hf-cache-writer.js';

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

function fail(reply: CommandReply): { code: string; message: string; details: Record<string, unknown> } {
  if (reply.ok) throw new Error('expected a failure');
  return reply.error;
}

const ofType = <T extends AppEvent['type']>(events: AppEvent[], type: T): Array<Extract<AppEvent, { type: T }>> =>
  events.filter((e): e is Extract<AppEvent, { type: T }> => e.type === type);

describe('App: events', () => {
  it('a subscriber gets a snapshot first, then deltas', async () => {
    const h = await make();
    expect(h.events[0]?.type).toBe('snapshot');
    const snap = h.events[0]?.type === 'snapshot' ? h.events[0].snapshot : null;
    expect(snap?.slots).toHaveLength(13);
    expect(snap?.settings.settings.loadConcurrency).toBe(2);
    expect(snap?.runtime.mode).toBe('headless');
    ok(await h.app.execute('pin', { slot: 'E3' }));
    const slotEvents = ofType(h.events.slice(1), 'slot');
    expect(slotEvents.at(-1)?.slot).toMatchObject({ id: 'E3', pinned: true });
    expect(ofType(h.events, 'activity').some((e) => e.entry.kind === 'pinned' && e.entry.slot === 'E3')).toBe(true);
    expect(h.events.slice(1).some((e) => e.type === 'snapshot')).toBe(false);
  });

  it('a listener that throws does not stop the others or the command', async () => {
    const h = await make();
    h.app.subscribe(() => {
      throw new Error('broken window');
    });
    const seen: AppEvent[] = [];
    h.app.subscribe((e) => seen.push(e));
    ok(await h.app.execute('setPreload', { slot: 'E1', preload: true }));
    expect(ofType(seen, 'slot').at(-1)?.slot).toMatchObject({ id: 'E1', preload: true });
  });

  it('start: readiness and devices are sent; the history records one point per device per tick', async () => {
    const intervals: Array<() => void> = [];
    const h = await make({
      ready: ['E1'],
      app: { timers: { setInterval: (fn) => intervals.push(fn), clearInterval: () => undefined, setTimeout: () => 0, clearTimeout: () => undefined } },
    });
    await h.app.start();
    expect(ofType(h.events, 'readiness').at(-1)?.report.ready).toBe(1);
    const before = h.app.snapshot().history.length;
    for (const tick of intervals) tick();
    const history = ofType(h.events, 'history');
    expect(history.at(-1)?.points.map((p) => p.device)).toEqual(['cpu']);
    expect(h.app.snapshot().history.length).toBe(before + 1);
    expect(h.app.snapshot().gpu?.available).toBe(false);
  });
});

describe('App: commands change state and persist it', () => {
  it('pins, preload, idle TTL are saved and survive a restart', async () => {
    const h = await make();
    ok(await h.app.execute('pin', { slot: 'E2' }));
    ok(await h.app.execute('setPreload', { slot: 'E4', preload: true }));
    const ttl = ok<{ idleTtlMs: number | null }>(await h.app.execute('setIdleTtl', { slot: 'E5', ttlMs: 60_000 }));
    expect(ttl.idleTtlMs).toBe(60_000);
    const onDisk = JSON.parse(readFileSync(join(h.dir, 'settings.json'), 'utf8')) as { slots: Record<string, { pinned: boolean; preload: boolean; idleTtlMs: number | null }> };
    expect(onDisk.slots['E2']?.pinned).toBe(true);
    expect(onDisk.slots['E4']?.preload).toBe(true);
    expect(onDisk.slots['E5']?.idleTtlMs).toBe(60_000);
    const reopened = await SettingsStore.open({ dir: h.dir });
    expect(reopened.get().slots['E2']).toMatchObject({ pinned: true, preload: false });
  });

  it('when the settings cannot be saved, a pin is EMB-E406 and is taken back', async () => {
    const h = await make();
    // A non-empty directory where the file goes: every write fails, even for root.
    mkdirSync(join(h.dir, 'settings.json', 'blocker'), { recursive: true });
    const err = fail(await h.app.execute('pin', { slot: 'E11' }));
    expect(err.code).toBe('EMB-E406');
    expect(h.app.snapshot().slots.find((s) => s.id === 'E11')?.pinned).toBe(false);
    expect(fail(await h.app.execute('setPreload', { slot: 'E11', preload: true })).code).toBe('EMB-E406');
    expect(h.app.snapshot().slots.find((s) => s.id === 'E11')?.preload).toBe(false);
  });

  it('updateSettings applies budgets live and sends devices and settings', async () => {
    const h = await make();
    const view = ok<{ settings: { cpuBudgetBytes: number | null } }>(await h.app.execute('updateSettings', { cpuBudgetBytes: 512 * 1024 * 1024, loadConcurrency: 3 }));
    expect(view.settings.cpuBudgetBytes).toBe(512 * 1024 * 1024);
    expect(ofType(h.events, 'devices').at(-1)?.devices.find((d) => d.device === 'cpu')?.budgetBytes).toBe(512 * 1024 * 1024);
    expect(ofType(h.events, 'settings').at(-1)?.settings.settings.loadConcurrency).toBe(3);
    expect(h.app.snapshot().devices[0]?.budgetBytes).toBe(512 * 1024 * 1024);
  });

  it('updateSettings hands Hub settings to the artifact manager at once', async () => {
    const h = await make();
    const view = ok<{ endpoint: string }>(await h.app.execute('updateSettings', { hfEndpoint: 'http://127.0.0.1:9999/', downloadConcurrency: 6, cacheDir: join(h.dir, 'cache') }));
    expect(view.endpoint).toBe('http://127.0.0.1:9999');
    expect(h.artifacts.configured.at(-1)).toMatchObject({ endpoint: 'http://127.0.0.1:9999', downloadConcurrency: 6, cacheDir: join(h.dir, 'cache') });
  });

  it('a cache limit is applied when set, sparing pinned slots', async () => {
    const h = await make();
    ok(await h.app.execute('pin', { slot: 'E12' }));
    ok(await h.app.execute('updateSettings', { cacheLimitBytes: 10 * 1024 * 1024 }));
    expect(h.artifacts.cacheLimitCalls.map((s) => [...s])).toEqual([['E12']]);
    // A finished download grows the cache: the limit is applied again, sparing that slot too.
    ok(await h.app.execute('download', { slot: 'E7' }));
    expect(h.artifacts.cacheLimitCalls.map((s) => [...s].sort())).toEqual([['E12'], ['E12', 'E7']]);
  });

  it('an invalid settings file is reported in the activity log at start', async () => {
    const h = await make({ settingsJson: '{"loadConcurrency": "many"}' });
    await h.app.start();
    const entry = h.app.snapshot().activity.find((a) => a.message.includes('settings file had invalid values') && a.message.includes('loadConcurrency'));
    expect(entry?.kind).toBe('error');
    expect(h.app.snapshot().settings.settings.loadConcurrency).toBe(2);
  });

  it('updateSettings with a slot patch merges into that slot and reaches the registry', async () => {
    const h = await make();
    ok(await h.app.execute('setPreload', { slot: 'E6', preload: true }));
    ok(await h.app.execute('updateSettings', { slots: { E6: { pinned: true } } }));
    expect(h.settings.get().slots['E6']).toMatchObject({ pinned: true, preload: true });
    expect(h.app.snapshot().slots.find((s) => s.id === 'E6')).toMatchObject({ pinned: true, preload: true });
  });

  it('setToken keeps the token in a 0600 file and tells the artifact manager; the view never holds it', async () => {
    const h = await make();
    const view = ok<{ token: { set: boolean; source: string } }>(await h.app.execute('setToken', { token: 'hf_secretvalue' }));
    expect(view.token).toMatchObject({ set: true, source: 'app' });
    expect(JSON.stringify(view)).not.toContain('hf_secretvalue');
    expect(statSync(join(h.dir, 'hf-token')).mode & 0o777).toBe(0o600);
    expect(h.artifacts.configured.at(-1)?.token).toBe('hf_secretvalue');
    ok(await h.app.execute('setToken', { token: null }));
    expect(h.tokens.get()).toBeNull();
  });

  it('download: progress events, then the slot is ready', async () => {
    const h = await make();
    const done = ok<{ phase: string }>(await h.app.execute('download', { slot: 'E7' }));
    expect(done.phase).toBe('done');
    const phases = ofType(h.events, 'download').filter((e) => e.progress.slot === 'E7').map((e) => e.progress.phase);
    expect(phases).toEqual(['queued', 'downloading', 'verifying', 'done']);
    // Transitions: a slot event that only moves a figure (the estimate, once the files are known) repeats its state.
    const states = ofType(h.events, 'slot').filter((e) => e.slot.id === 'E7').map((e) => e.slot.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(states).toEqual(['downloading', 'verifying', 'ready']);
  });

  it('a failed download answers with its code and the slot shows failed', async () => {
    const h = await make();
    h.artifacts.failNextDownload('E8', new ModelbayError('EMB-E108', 'Checksum mismatch for model.onnx.', { slot: 'E8' }));
    const err = fail(await h.app.execute('download', { slot: 'E8' }));
    expect(err.code).toBe('EMB-E108');
    expect(h.app.snapshot().slots.find((s) => s.id === 'E8')?.state).toBe('failed');
  });

  it('a held download can be cancelled', async () => {
    const h = await make();
    h.artifacts.hold('E9');
    const pending = h.app.execute('download', { slot: 'E9' });
    await new Promise((r) => setImmediate(r));
    ok(await h.app.execute('cancelDownload', { slot: 'E9' }));
    expect(fail(await pending).code).toBe('EMB-E114');
  });

  it('loading a slot whose files are missing fails with EMB-E101 when auto-download is off', async () => {
    const h = await make();
    const err = fail(await h.app.execute('load', { slot: 'E10' }));
    expect(err.code).toBe('EMB-E101');
  });

  it('per-slot choices reach the dashboard as a settings event: TTL, then source, then the catalog default again', async () => {
    const h = await make();
    ok(await h.app.execute('setIdleTtl', { slot: 'E5', ttlMs: 120_000 }));
    expect(ofType(h.events, 'settings').at(-1)?.settings.settings.slots['E5']?.idleTtlMs).toBe(120_000);
    const source = { repo: 'me/my-model', revision: 'main', model: 'onnx/model.onnx', externalData: [], tokenizer: 'tokenizer.json', pooling: 'cls', dims: 256 } as const;
    ok(await h.app.execute('setSlotSource', { slot: 'E5', source }));
    expect(ofType(h.events, 'settings').at(-1)?.settings.settings.slots['E5']?.source).toEqual(source);
    expect(ofType(h.events, 'catalog').at(-1)?.catalog).toHaveLength(13);
    ok(await h.app.execute('setSlotSource', { slot: 'E5', source: null }));
    expect(ofType(h.events, 'settings').at(-1)?.settings.settings.slots['E5']?.source).toBeNull();
  });

  it('setDevice to a GPU that does not exist is EMB-E008 and nothing is saved', async () => {
    const h = await make();
    const err = fail(await h.app.execute('setDevice', { slot: 'E1', device: 'cuda:0' }));
    expect(err.code).toBe('EMB-E008');
    expect(h.settings.get().slots['E1']).toBeUndefined();
  });
});

describe('App: bad input changes nothing', () => {
  const bad: Array<[string, unknown, string]> = [
    ['load', { slot: 'E99' }, 'EMB-E401'],
    ['load', {}, 'EMB-E401'],
    ['load', 'E1', 'EMB-E401'],
    ['pin', { slot: 'E1', extra: true }, 'EMB-E401'],
    ['setIdleTtl', { slot: 'E1', ttlMs: -5 }, 'EMB-E401'],
    ['updateSettings', { thresholds: { low: 0.9, medium: 0.5, high: 0.95 } }, 'EMB-E401'],
    ['updateSettings', { cpuBudgetBytes: 'lots' }, 'EMB-E401'],
    ['updateSettings', { nonsense: 1 }, 'EMB-E401'],
    ['setToken', { token: 'has space' }, 'EMB-E401'],
    ['embed', { slot: 'E1', texts: [] }, 'EMB-E401'],
    ['dropTables', {}, 'EMB-E404'],
    ['__proto__', {}, 'EMB-E404'],
    ['embed', { slot: 'E1', texts: Array.from({ length: 200 }, () => 'x'.repeat(2000)) }, 'EMB-E405'],
  ];

  it.each(bad.map(([name, input, code]) => ({ name, input, code, label: JSON.stringify(input).slice(0, 80) })))('$name $label → $code', async ({ name, input, code }) => {
    const h = await make();
    const before = JSON.stringify({ ...h.app.snapshot(), at: 0 });
    const settingsBefore = JSON.stringify(h.settings.get());
    const n = h.events.length;
    const err = fail(await h.app.execute(name, input));
    expect(err.code).toBe(code);
    expect(typeof err.message).toBe('string');
    expect(JSON.stringify({ ...h.app.snapshot(), at: 0 })).toBe(before);
    expect(JSON.stringify(h.settings.get())).toBe(settingsBefore);
    expect(h.events.length).toBe(n);
  });

  it('input that is not plain data (a BigInt) is EMB-E401', async () => {
    const h = await make();
    expect(fail(await h.app.execute('pin', { slot: 'E1', n: 10n })).code).toBe('EMB-E401');
    expect(h.app.snapshot().slots[0]?.pinned).toBe(false);
  });

  it('validation failures carry the zod issues', async () => {
    const h = await make();
    const err = fail(await h.app.execute('setPreload', { slot: 'E1', preload: 'yes' }));
    expect(err.details['issues']).toEqual([expect.objectContaining({ path: 'preload' })]);
  });

  it('an oversized payload is refused before it is parsed', async () => {
    const h = await make();
    const err = fail(await h.app.execute('updateSettings', { cacheDir: 'x'.repeat(MAX_COMMAND_BYTES + 10) }));
    expect(err.code).toBe('EMB-E405');
    expect(err.details['limit']).toBe(MAX_COMMAND_BYTES);
  });
});

describe('App: the On disk view follows downloads', () => {
  it('a finished download updates "On disk" without a Scan disk click', async () => {
    const h = await make();
    await h.app.start();
    const disk = (): { scanning: boolean; models: number | null } => {
      const view = ofType(h.events, 'disk').at(-1)?.disk ?? h.app.snapshot().disk;
      return { scanning: view.scanning, models: view.report?.models.length ?? null };
    };
    await expect.poll(disk).toEqual({ scanning: false, models: 0 });
    // The download puts a model into the HF cache, as the real downloader does.
    await writeCachedFile(join(h.dir, 'hf', 'hub'), 'org/e1', '1'.repeat(40), 'onnx/model.onnx', new Uint8Array(64), { revision: 'main' });
    await writeCachedFile(join(h.dir, 'hf', 'hub'), 'org/e1', '1'.repeat(40), 'tokenizer.json', new TextEncoder().encode('{"model":{}}'));
    ok(await h.app.execute('download', { slot: 'E1' }));
    await expect.poll(disk).toEqual({ scanning: false, models: 1 });
  });

  it('many downloads finishing together cause one scan, not one each', async () => {
    const h = await make();
    await h.app.start();
    await expect.poll(() => h.app.snapshot().disk.report !== null).toBe(true);
    const scansBefore = ofType(h.events, 'disk').filter((e) => e.disk.scanning).length;
    ok(await h.app.execute('downloadAll', {}));
    await expect.poll(() => ofType(h.events, 'disk').filter((e) => e.disk.scanning).length).toBeGreaterThan(scansBefore);
    await expect.poll(() => h.app.snapshot().disk.scanning).toBe(false);
    expect(ofType(h.events, 'disk').filter((e) => e.disk.scanning).length - scansBefore).toBeLessThanOrEqual(2);
  });
});

