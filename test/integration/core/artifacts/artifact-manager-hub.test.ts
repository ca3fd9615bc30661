/**
 * The artifact manager against the real Downloader and the test Hub on 127.0.0.1:
 * download → ready → resolveFiles, pause/resume/cancel mid-transfer, a gated repo
 * without a token, and downloadAll with one failing slot.
 */
import { mkdir, mkdtemp, open, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createArtifactManager } from '../../../../src/main/core/artifacts/manager/artifact-manager.js';
import { Downloader } from '../../../../src/main/core/artifacts/transfer/downloader.js';
import { HubCacheLayout } from '../../../../src/main/core/artifacts/cache/hf-cache-layout.js';
import type { ArtifactEvent, ArtifactManager } from '../../../../src/main/core/artifacts/manager/types.js';
import type { SlotId } from '../../../../src/shared/slots/slots.js';
import { sha256Hex, startHubServer, type HubServer } from '../../../../src/devkit/hub/hub-server.js';
import { writeCatalog, type TestSlot } from '../../../../src/devkit/artifacts/test-catalog.js';

const MODEL = Buffer.from(new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 29 + 7) % 251));
const TOKENIZER = Buffer.from('{"version":"1.0","model":{"type":"WordPiece","vocab":{"[UNK]":0}}}');
const CONFIG = Buffer.from('{"hidden_size":8}');

const files = [{ path: 'onnx/model.onnx', content: MODEL, lfs: true }, { path: 'tokenizer.json', content: TOKENIZER }, { path: 'config.json', content: CONFIG }];
const slot = (repo: string, extra: Partial<TestSlot> = {}): TestSlot => ({
  repo, revision: 'main', dims: 8,
  files: [{ path: 'onnx/model.onnx', role: 'model', sha256: sha256Hex(MODEL), size: MODEL.length }, { path: 'tokenizer.json', role: 'tokenizer' }, { path: 'config.json', role: 'config' }],
  ...extra,
});

let server: HubServer;
let dir: string;
let manager: ArtifactManager | null = null;
let events: ArtifactEvent[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mb-hub-manager-'));
  server = await startHubServer({
    repos: [
      { id: 'org/e8', commits: [{ files }] },
      { id: 'org/e11', commits: [{ files }] },
      { id: 'org/gated', gated: true, commits: [{ files }] },
    ],
    tokens: { hf_granted: { grants: ['org/gated'] } },
  });
  events = [];
});

afterEach(async () => {
  await manager?.close();
  manager = null;
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(slots: Partial<Record<SlotId, TestSlot>>, token: string | null = null): Promise<{ manager: ArtifactManager; cache: string }> {
  const cache = join(dir, 'hub');
  await mkdir(cache, { recursive: true });
  const catalogPath = await writeCatalog(dir, slots);
  const downloader = new Downloader({ cacheDir: cache, endpoint: server.endpoint, token, retries: 1, backoffMs: { initial: 1, max: 2 }, sleep: () => Promise.resolve() });
  manager = await createArtifactManager({
    config: { cacheDir: cache, cacheLimitBytes: null, endpoint: server.endpoint, token, offline: false, downloadConcurrency: 2 },
    stateDir: join(dir, 'state'), catalogPath, downloader,
  });
  manager.on((e) => events.push(e));
  return { manager, cache };
}

function firstBytes(m: ArtifactManager, slot: SlotId, path: string): Promise<void> {
  return new Promise((resolve) => {
    const off = m.on((e) => {
      if (e.type === 'progress' && e.progress.slot === slot && e.progress.files.some((f) => f.file === path && f.bytes > 0 && f.phase === 'downloading')) { off(); resolve(); }
    });
  });
}

function phaseReached(m: ArtifactManager, slot: SlotId, phase: string): Promise<void> {
  return new Promise((resolve) => {
    const off = m.on((e) => { if (e.type === 'progress' && e.progress.slot === slot && e.progress.phase === phase) { off(); resolve(); } });
  });
}

async function partials(cache: string, repoDir: string): Promise<string[]> {
  return (await readdir(join(cache, repoDir, 'blobs')).catch(() => [] as string[])).filter((n) => n.includes('incomplete'));
}

describe('artifact manager with the real downloader and the test Hub', () => {
  it('downloads, verifies, reports ready and resolves real snapshot paths', async () => {
    const { manager: m, cache } = await start({ E8: slot('org/e8') });
    // Small files that finished before the cancel stay (verified, reusable); the model does not.
    const after = (await m.readiness()).slots.find((s) => s.slot === 'E8');
    expect(after?.status).not.toBe('ready');
    expect(after?.files.find((f) => f.path === 'onnx/model.onnx')?.present).toBe(false);
    const p = await m.download('E8');
    expect(p).toMatchObject({ phase: 'done', bytes: MODEL.length + TOKENIZER.length + CONFIG.length });
    expect(events.flatMap((e) => (e.type === 'state' && e.slot === 'E8' ? [e.state] : []))).toEqual(['downloading', 'verifying', 'ready']);
    const r = await m.readiness();
    expect(r.slots.find((s) => s.slot === 'E8')).toMatchObject({ status: 'ready' });
    expect(r.slots.find((s) => s.slot === 'E8')?.files.every((f) => f.verified)).toBe(true);
    const f = await m.resolveFiles('E8', new AbortController().signal);
    expect(f.model.startsWith(join(cache, 'models--org--e8', 'snapshots'))).toBe(true);
    expect(Buffer.compare(await readFile(f.model), MODEL)).toBe(0);
    expect(await readFile(f.tokenizer ?? '', 'utf8')).toBe(TOKENIZER.toString());
    expect(events.some((e) => e.type === 'activity' && /^E8 downloaded and verified \(3\.\d MB\)$/.test(e.entry.message))).toBe(true);
    expect((await m.verify('E8')).ok).toBe(true);
  });

  it('pause keeps partial data and resume continues with a Range request; cancel discards it', async () => {
    // The CDN trickles the model so there is time to pause mid-way.
    server.addFault({ origin: 'cdn', method: 'GET', path: sha256Hex(MODEL), action: { kind: 'throttle', bytesPerSec: 256 * 1024 } });
    const { manager: m, cache } = await start({ E8: slot('org/e8') });
    const run = m.download('E8');
    await firstBytes(m, 'E8', 'onnx/model.onnx');
    expect(m.pause('E8').phase).toBe('paused');
    expect((await run).phase).toBe('paused');
    expect(await partials(cache, 'models--org--e8')).not.toEqual([]);
    expect(m.states().E8).toBe('missing');
    server.clearLog();
    const done = phaseReached(m, 'E8', 'done');
    m.resume('E8');
    await done;
    expect(server.log.some((l) => l.origin === 'cdn' && l.method === 'GET' && l.range !== null && /^bytes=[1-9]/.test(l.range))).toBe(true);
    expect(m.states().E8).toBe('ready');
    const f = await m.resolveFiles('E8', new AbortController().signal);
    expect(Buffer.compare(await readFile(f.model), MODEL)).toBe(0);

    await m.clear('E8');
    server.addFault({ origin: 'cdn', method: 'GET', path: sha256Hex(MODEL), action: { kind: 'throttle', bytesPerSec: 256 * 1024 } });
    const run2 = m.download('E8');
    await firstBytes(m, 'E8', 'onnx/model.onnx');
    expect(m.cancel('E8').phase).toBe('cancelled');
    await expect(run2).rejects.toMatchObject({ code: 'EMB-E114' });
    expect(await partials(cache, 'models--org--e8')).toEqual([]);
    expect(m.states().E8).toBe('missing');
    // Small files that finished before the cancel stay (verified, reusable); the model does not.
    const after = (await m.readiness()).slots.find((s) => s.slot === 'E8');
    expect(after?.status).not.toBe('ready');
    expect(after?.files.find((f) => f.path === 'onnx/model.onnx')?.present).toBe(false);
  });

  it('a gated slot without a token fails with EMB-E102; with a granted token it downloads', async () => {
    const { manager: m } = await start({ E13: slot('org/gated', { gated: true }) });
    await expect(m.download('E13')).rejects.toMatchObject({ code: 'EMB-E102' });
    expect(m.states().E13).toBe('failed');
    expect(events.some((e) => e.type === 'state' && e.slot === 'E13' && e.state === 'failed' && e.error?.code === 'EMB-E102')).toBe(true);
    await expect(m.prepare('E13', new AbortController().signal, false)).rejects.toMatchObject({ code: 'EMB-E101' });
    m.configure({ token: 'hf_granted' });
    expect((await m.download('E13')).phase).toBe('done');
    expect(m.states().E13).toBe('ready');
  });

  it('downloadAll reports each slot: ready, failed with its code, no-model skipped', async () => {
    const { manager: m } = await start({ E8: slot('org/e8'), E11: slot('org/e11'), E6: slot('org/e8', { files: [{ path: 'onnx/absent.onnx', role: 'model' }] }) });
    const results = await m.downloadAll();
    const by = Object.fromEntries(results.map((r) => [r.slot, r]));
    expect(by.E8).toEqual({ slot: 'E8', ok: true });
    expect(by.E11).toEqual({ slot: 'E11', ok: true });
    expect(by.E6).toMatchObject({ ok: false, error: { code: 'EMB-E105' } });
    expect(by.E9).toMatchObject({ ok: false, error: { code: 'EMB-E118' } });
    const r = await m.readiness();
    expect(r.ready).toBe(2);
    expect(r.slots.find((s) => s.slot === 'E6')).toMatchObject({ status: 'failed', code: 'EMB-E105' });
  });

  it('prepare downloads first when auto-download is on; the registry then gets real paths', async () => {
    const { manager: m } = await start({ E11: slot('org/e11') });
    await expect(m.prepare('E11', new AbortController().signal, false)).rejects.toMatchObject({ code: 'EMB-E101' });
    await m.prepare('E11', new AbortController().signal, true);
    const f = await m.resolveFiles('E11', new AbortController().signal);
    expect(Buffer.compare(await readFile(f.model), MODEL)).toBe(0);
  });

  it('a blob found corrupt by verify is replaced by the next download (not reused)', async () => {
    const { manager: m, cache } = await start({ E8: slot('org/e8') });
    await m.download('E8');
    const blob = join(cache, 'models--org--e8', 'blobs', sha256Hex(MODEL));
    const fh = await open(blob, 'r+');
    await fh.write(Buffer.from([MODEL[1000] === 0 ? 1 : 0]), 0, 1, 1000);
    await fh.close();
    const report = await m.verify('E8');
    expect(report.files.find((f) => f.path === 'onnx/model.onnx')).toMatchObject({ ok: false, expected: sha256Hex(MODEL) });
    expect(m.states().E8).toBe('failed');
    server.clearLog();
    expect((await m.download('E8')).phase).toBe('done');
    expect(server.log.some((l) => l.origin === 'cdn' && l.method === 'GET')).toBe(true);
    expect(Buffer.compare(await readFile(blob), MODEL)).toBe(0);
    expect((await m.verify('E8')).ok).toBe(true);
  });

  it('bytes corrupted in transit fail the slot with EMB-E108 and leave no blob behind', async () => {
    server.addFault({ origin: 'cdn', method: 'GET', path: sha256Hex(MODEL), times: Infinity, action: { kind: 'flip', offset: 12_345 } });
    const { manager: m, cache } = await start({ E8: slot('org/e8') });
    await expect(m.download('E8')).rejects.toMatchObject({ code: 'EMB-E108' });
    expect(m.states().E8).toBe('failed');
    expect((await readdir(join(cache, 'models--org--e8', 'blobs'))).includes(sha256Hex(MODEL))).toBe(false);
    expect(events.some((e) => e.type === 'activity' && e.entry.code === 'EMB-E108' && e.entry.slot === 'E8')).toBe(true);
  });

  it('offline: a ready slot still resolves, a missing one fails without touching the network', async () => {
    const { manager: m } = await start({ E8: slot('org/e8'), E11: slot('org/e11') });
    await m.download('E8');
    m.configure({ offline: true });
    server.clearLog();
    await m.prepare('E8', new AbortController().signal, true);
    await expect(m.download('E11')).rejects.toMatchObject({ code: 'EMB-E112' });
    expect(server.log).toEqual([]);
  });

  it('close() stops a download and keeps its partial data for the next start', async () => {
    server.addFault({ origin: 'cdn', method: 'GET', path: sha256Hex(MODEL), action: { kind: 'throttle', bytesPerSec: 256 * 1024 } });
    const { manager: m, cache } = await start({ E8: slot('org/e8') });
    const run = m.download('E8');
    await firstBytes(m, 'E8', 'onnx/model.onnx');
    await m.close();
    manager = null;
    expect((await run).phase).toBe('paused');
    expect(await partials(cache, 'models--org--e8')).not.toEqual([]);
    const { manager: again } = await start({ E8: slot('org/e8') });
    server.clearLog();
    expect((await again.download('E8')).phase).toBe('done');
    expect(server.log.some((l) => l.origin === 'cdn' && l.range !== null && /^bytes=[1-9]/.test(l.range))).toBe(true);
  });

  it('hashes a blob Python left in the cache before trusting it: a corrupt one fails, then is replaced', async () => {
    const cache = join(dir, 'hub');
    const commit = server.repos.get('org/e8')?.refs.get('main') ?? '';
    const layout = new HubCacheLayout(cache);
    const blob = layout.blobPath('org/e8', sha256Hex(MODEL));
    const entry = layout.snapshotPath('org/e8', commit, 'onnx/model.onnx');
    await mkdir(dirname(blob), { recursive: true });
    await mkdir(dirname(entry), { recursive: true });
    const bad = Buffer.from(MODEL);
    bad[77] = (bad[77] ?? 0) ^ 0xff;
    await writeFile(blob, bad);
    await symlink(layout.blobLinkTarget('org/e8', commit, 'onnx/model.onnx', sha256Hex(MODEL)), entry);
    await mkdir(dirname(layout.refPath('org/e8', 'main')), { recursive: true });
    await writeFile(layout.refPath('org/e8', 'main'), commit);
    const { manager: m } = await start({ E8: slot('org/e8') });
    expect((await m.readiness()).slots.find((s) => s.slot === 'E8')?.status).toBe('partial');
    await expect(m.download('E8')).rejects.toMatchObject({ code: 'EMB-E108' });
    expect((await m.readiness()).slots.find((s) => s.slot === 'E8')).toMatchObject({ status: 'failed', code: 'EMB-E108' });
    expect((await m.download('E8')).phase).toBe('done');
    expect(Buffer.compare(await readFile(blob), MODEL)).toBe(0);
  });
});
