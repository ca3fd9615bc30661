/**
 * The `modelbay` CLI against a running server (the real App, session hosts and HTTP
 * server), found through its data dir: every command with and without --json, and the
 * exit codes. Most runs call the CLI's entry function in this process; a few run the
 * real `bin` script as a child process.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../../src/cli/main.js';
import { startServer, type RunningServer } from '../../../src/main/server/http-server.js';
import { DataDirLock } from '../../../src/main/core/state/data-dir-lock.js';
import { loadOrCreateServerToken } from '../../../src/main/server/server-token.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';
import { testLauncher } from '../runtime/test-hosts.js';

const BIN = join(import.meta.dirname, '../../../scripts/modelbay.mjs');
const NO_LAUNCH = { serve: () => Promise.resolve(), demo: () => Promise.resolve() };

interface Run {
  code: number;
  out: string;
  err: string;
}

function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, MODELBAY_PORT: '', MODELBAY_DATA_DIR: '', ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

/** cli() in this process with its own --data-dir (or none). */
async function runOwn(...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await cli(args, {}, { out: (t) => (out += t), err: (t) => (err += t), isTTY: false }, NO_LAUNCH);
  return { code, out, err };
}

describe('modelbay CLI', () => {
  let h: Harness;
  let server: RunningServer;
  let dataDir: string;
  let lock: DataDirLock;

  const run = async (...args: string[]): Promise<Run> => {
    let out = '';
    let err = '';
    const code = await cli([...args, '--data-dir', dataDir], {}, { out: (t) => (out += t), err: (t) => (err += t), isTTY: false }, NO_LAUNCH);
    return { code, out, err };
  };
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await run(...args, '--json');
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.err}`);
    return JSON.parse(r.out) as T;
  };

  beforeAll(async () => {
    h = await harness({ ready: ['E1', 'E6', 'E8'], tokenLevel: ['E6'], launcher: testLauncher() });
    await h.app.start();
    dataDir = h.dir;
    server = await startServer({ app: h.app, serving: h.app, token: loadOrCreateServerToken(dataDir), port: 0, rendererDir: null });
    // As the headless entry does: the lock names the running instance and its port.
    lock = DataDirLock.acquire(dataDir, 'headless');
    lock.setPort(server.port);
  }, 180_000);
  afterAll(async () => {
    await server.close();
    lock.release();
    await h.close();
  });

  it('status, ls and gpu describe the server, with and without --json', async () => {
    const status = await json<{ url: string; ready: number; total: number; loaded: string[] }>('status');
    expect(status).toMatchObject({ url: server.url, ready: 3, total: 13, loaded: [] });
    expect((await run('status')).out).toContain('Ready: 3/13');
    const rows = await json<Array<{ slot: string; state: string; ready: string; repo: string; kind: string }>>('ls');
    expect(rows).toHaveLength(13);
    expect(rows.find((r) => r.slot === 'E6')).toMatchObject({ state: 'ready', ready: 'ready', repo: 'test/e6', kind: 'sparse' });
    const table = (await run('ls')).out;
    expect(table.split('\n')[0]).toMatch(/^SLOT\s+NAME\s+STATE\s+READY\s+REPO\s+VARIANT\s+SIZE$/);
    expect(table).toMatch(/E2\s+TemporalRecent\s+missing/);
    const gpu = await json<{ devices: Array<{ device: string }> }>('gpu');
    expect(gpu.devices.map((d) => d.device)).toContain('cpu');
    expect((await run('gpu')).out).toContain('Budget cpu:');
  });

  it('load, ps, pin, evict (refused while pinned, unless --force), unpin, unload', async () => {
    expect(await json<{ state: string }>('load', 'E1')).toMatchObject({ state: 'loaded' });
    const ps = await json<Array<{ slot: string; device: string; measuredBytes: number }>>('ps');
    expect(ps).toEqual([expect.objectContaining({ slot: 'E1', device: 'cpu' })]);
    expect(ps[0]?.measuredBytes).toBeGreaterThan(0);
    expect((await run('ps')).out).toMatch(/E1\s+Semantic\s+cpu/);
    expect((await run('pin', 'e1')).out).toContain('E1 Semantic: loaded (pinned)');
    const refused = await run('evict', 'E1');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^EMB-E004: /);
    expect(await json<{ state: string }>('evict', 'E1', '--force')).toMatchObject({ state: 'ready' });
    expect(await json<{ pinned: boolean }>('unpin', 'E1')).toMatchObject({ pinned: false });
    await run('load', 'E1');
    expect(await json<{ state: string }>('unload', 'E1')).toMatchObject({ state: 'ready' });
  });

  it('embed with a dense and a sparse slot (lazy load)', async () => {
    const dense = await json<{ data: Array<{ embedding: number[] }> }>('embed', 'E8', 'hello world', 'cat');
    expect(dense.data).toHaveLength(2);
    expect(dense.data[0]?.embedding).toHaveLength(h.artifacts.model.dim);
    expect((await run('embed', 'E8', 'hello')).out).toMatch(/^"hello": 16 dims \[/);
    const sparse = await json<Array<Array<{ index: number; value: number }>>>('embed', 'E6', 'hello world');
    expect(sparse[0]?.length).toBeGreaterThan(0);
    const missing = await run('embed', 'E2', 'x', '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.err)).toMatchObject({ error: { code: 'EMB-E101' } });
  });

  it('pull prints JSON lines of progress then the result; verify and rm', async () => {
    const r = await run('pull', 'E2', '--json');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; phase?: string; results?: unknown });
    expect(lines.at(-1)).toEqual({ type: 'result', results: [{ slot: 'E2', ok: true }] });
    expect(lines.filter((l) => l.type === 'progress').map((l) => l.phase)).toContain('done');
    expect((await run('pull', 'E3')).out).toContain('E3: downloaded and verified');
    const reports = await json<Array<{ slot: string; ok: boolean }>>('verify');
    expect(reports.map((x) => x.slot)).toEqual(expect.arrayContaining(['E1', 'E2', 'E3']));
    expect((await run('verify', 'E2')).out).toBe('E2: ok\n');
    expect((await run('rm', 'E3')).out).toContain("E3's files were deleted.");
    expect(h.app.snapshot().slots.find((s) => s.id === 'E3')?.state).toBe('missing');
  });

  it('usage errors exit 2 before any network; --help on every command exits 0', async () => {
    for (const args of [['load'], ['load', 'E14'], ['pull'], ['ls', 'extra'], ['embed', 'E1'], ['frobnicate'], ['status', '--bogus'], ['ls', '--port', 'abc']]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain('Usage: modelbay');
    }
    for (const command of ['status', 'ls', 'ps', 'pull', 'load', 'unload', 'evict', 'pin', 'unpin', 'verify', 'rm', 'gpu', 'embed']) {
      const r = await cli([command, '--help'], {}, { out: () => undefined, err: () => undefined, isTTY: false }, NO_LAUNCH);
      expect(r, command).toBe(0);
    }
  });

  it('a slot is named by its alias as well as its id', async () => {
    expect((await h.app.execute('setAlias', { slot: 'E8', alias: 'minilm' })).ok).toBe(true);
    try {
      expect(await json<{ id: string; state: string }>('load', 'minilm')).toMatchObject({ id: 'E8', state: 'loaded' });
      expect((await run('unload', 'minilm')).out).toContain('E8 ');
      const unknown = await run('load', 'nosuch');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toMatch(/^EMB-E022: .*"nosuch"/);
    } finally {
      await h.app.execute('setAlias', { slot: 'E8', alias: null });
    }
  });

  it('usage errors with --json are JSON too, exit 2', async () => {
    const r = await run('load', 'E99', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.err)).toMatchObject({ error: { code: 'EMB-E002', message: expect.stringContaining('E99') as unknown } });
    const unknown = await run('frobnicate', '--json');
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.err)).toMatchObject({ error: { code: 'EMB-E002' } });
  });

  it('token prints the token; --json and --help are its own options', async () => {
    const token = readFileSync(join(dataDir, 'server-token'), 'utf8').trim();
    expect(await run('token')).toEqual({ code: 0, out: `${token}\n`, err: '' });
    expect(await json<{ token: string; dataDir: string }>('token')).toEqual({ token, dataDir });
    const help = await run('token', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: modelbay token');
    const empty = mkdtempSync(join(tmpdir(), 'modelbay-cli-'));
    const none = await runOwn('token', '--data-dir', empty, '--json');
    expect(none.code).toBe(3);
    expect(JSON.parse(none.err)).toMatchObject({ error: { code: 'EMB-E423' } });
  });

  it('a wrong token is told apart from none, and a server on --port is found even without a token file', async () => {
    const other = mkdtempSync(join(tmpdir(), 'modelbay-cli-'));
    writeFileSync(join(other, 'server-token'), 'x'.repeat(43));
    const wrong = await runOwn('ls', '--data-dir', other, '--port', String(server.port));
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^EMB-E402: The server at http:\/\/127\.0\.0\.1:\d+ refused the token in /);
    const empty = mkdtempSync(join(tmpdir(), 'modelbay-cli-'));
    const tokenless = await runOwn('status', '--data-dir', empty, '--port', String(server.port));
    expect(tokenless.code).toBe(1);
    expect(tokenless.err).toContain(`A Modelbay server answers at http://127.0.0.1:${server.port}`);
    expect(tokenless.err).not.toContain('no server has run');
  });

  it('the real bin: finds the server through MODELBAY_DATA_DIR; exit 3 with how to start one when none runs', async () => {
    const ok = await runBin(['ls', '--json'], { MODELBAY_DATA_DIR: dataDir });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toHaveLength(13);
    const bad = await runBin(['load', 'E9', '--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^EMB-E\d{3}: /);
    const empty = mkdtempSync(join(tmpdir(), 'modelbay-cli-'));
    const none = await runBin(['status', '--data-dir', empty]);
    expect(none.code).toBe(3);
    expect(none.err).toContain('modelbay serve');
    // A token but no running instance recorded in the folder's lock.
    const orphan = mkdtempSync(join(tmpdir(), 'modelbay-cli-'));
    copyFileSync(join(dataDir, 'server-token'), join(orphan, 'server-token'));
    const unlocked = await runBin(['ls', '--data-dir', orphan]);
    expect(unlocked.code).toBe(3);
    expect(unlocked.err).toContain('No Modelbay is running');
    // A token but nothing listening on the port.
    const stale = await runBin(['status', '--data-dir', dataDir, '--port', '9']);
    expect(stale.code).toBe(3);
    const usage = await runBin(['load']);
    expect(usage.code).toBe(2);
  }, 180_000);
});
