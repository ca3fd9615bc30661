/**
 * `modelbay demo` as a real process (its entry from source, as the headless tests run
 * serve's): it is the headless server — /v1, /metrics, the port in the data folder's
 * lock, `modelbay status --data-dir` — against its test Hub on the --hub-port asked for;
 * the token stays out of a pipe; Ctrl+C, once or twice, leaves no temp folder, session
 * host or stack trace behind; bad flags exit 2 with the usage.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ENTRY = join(import.meta.dirname, '../../../src/devkit/demo/main.ts');
const BIN = join(import.meta.dirname, '../../../scripts/modelbay.mjs');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

interface Demo {
  child: ChildProcess;
  /** The demo's own temp folders go here (TMPDIR), so the test sees whether they are left behind. */
  tmp: string;
  url: Promise<string>;
  exit: Promise<number | null>;
  output: () => string;
}

function testDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'modelbay-demo-test-'));
  dirs.push(dir);
  return dir;
}

function envFor(dir: string, tmp: string): NodeJS.ProcessEnv {
  return {
    ...process.env, TMPDIR: tmp, HOME: dir, XDG_CONFIG_HOME: join(dir, 'cfg'), HF_HOME: join(dir, 'hf'), MODELBAY_PORT: '', MODELBAY_DATA_DIR: '',
    PATH: `/nonexistent:${process.env['PATH'] ?? ''}`,
  };
}

function startDemo(args: string[]): Demo {
  const dir = testDir();
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  // Its own process group, as a program started from a terminal: a Ctrl+C reaches the group.
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { env: envFor(dir, tmp), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      out += c;
      const m = /serving the dashboard at (http:\/\/\S+)\n[^]*Ctrl\+C stops the demo/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.stderr?.on('data', (c: string) => { out += c; });
    child.on('exit', () => reject(new Error(`exited before serving:\n${out}`)));
  });
  url.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, tmp, url, exit, output: () => out };
}

function bin(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The demo's temp folders in `tmp` (tsx keeps its cache there too). */
function demoDirs(tmp: string): string[] {
  return readdirSync(tmp).filter((name) => name.startsWith('modelbay-demo-'));
}

/** Pids whose parent is `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

/** Running: the process exists and is not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Downloads E1 from the test Hub through the CLI, then embeds a text through /v1 (which starts a session host). */
async function embedOne(url: string, dataDir: string, env: NodeJS.ProcessEnv): Promise<number[]> {
  const pull = bin(['pull', 'E1', '--data-dir', dataDir], env);
  expect(pull.status, pull.stderr).toBe(0);
  const token = readFileSync(join(dataDir, 'server-token'), 'utf8').trim();
  const res = await fetch(`${url}v1/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'E1', input: 'a demo sentence' }) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: Array<{ embedding: number[] }> };
  return body.data[0]?.embedding ?? [];
}

describe('modelbay demo (the demo entry)', () => {
  it('is the headless server: /v1 and /metrics, its port in the lock, status --data-dir, the token kept out of a pipe, the Hub on --hub-port', async () => {
    const hubPort = await freePort();
    const holder = testDir();
    const dataDir = join(holder, 'demo-data');
    const demo = startDemo(['--port', '0', '--hub-port', String(hubPort), '--data-dir', dataDir]);
    const url = await demo.url;
    const env = envFor(holder, demo.tmp);

    expect(demo.output()).toContain(`Test Hub: http://127.0.0.1:${hubPort} `);
    const fromHub = await fetch(`http://127.0.0.1:${hubPort}/api/models/Xenova/e5-large-v2/revision/main`);
    expect(fromHub.status).toBe(200);

    const token = readFileSync(join(dataDir, 'server-token'), 'utf8').trim();
    expect(demo.output()).not.toContain(token);
    expect(demo.output()).toContain(`modelbay token --data-dir ${dataDir}`);

    const lock = JSON.parse(readFileSync(join(dataDir, 'instance.lock'), 'utf8')) as { pid: number; port: number | null; mode: string };
    expect(lock).toMatchObject({ pid: demo.child.pid, mode: 'headless', port: Number(new URL(url).port) });
    const status = bin(['status', '--json', '--data-dir', dataDir], env);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ url, mode: 'headless', total: 13 });

    const vector = await embedOne(url, dataDir, env);
    expect(vector).toHaveLength(384);
    const metrics = await fetch(`${url}metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^modelbay_\w+\{[^}]*slot="E1"[^}]*\} [1-9]/m);

    demo.child.kill('SIGTERM');
    expect(await demo.exit).toBe(0);
    // The temp folder goes; a data folder the user named stays.
    expect(demoDirs(demo.tmp)).toEqual([]);
    expect(existsSync(join(dataDir, 'server-token'))).toBe(true);
  });

  it('Ctrl+C (the whole process group), once: exit 0, nothing left behind; --fake-gpu replays the RTX 4080 SUPER capture', async () => {
    const demo = startDemo(['--port', '0', '--fake-gpu']);
    await demo.url;
    const dataDir = /Data folder: (\S+)\n/.exec(demo.output())?.[1] as string;
    const gpu = bin(['gpu', '--json', '--data-dir', dataDir], envFor(testDir(), demo.tmp));
    expect(gpu.status, gpu.stderr).toBe(0);
    expect((JSON.parse(gpu.stdout) as { sample: { gpus: Array<{ name: string }> } }).sample.gpus.map((g) => g.name)).toEqual(['NVIDIA GeForce RTX 4080 SUPER']);
    expect(demoDirs(demo.tmp)).toHaveLength(1);
    process.kill(-(demo.child.pid as number), 'SIGINT');
    expect(await demo.exit).toBe(0);
    expect(demo.output()).not.toContain('again');
    expect(demoDirs(demo.tmp)).toEqual([]);
  });

  it('a second SIGINT while it stops: no session host, temp folder or stack trace is left behind', async () => {
    const demo = startDemo(['--port', '0']);
    const url = await demo.url;
    const dataDir = /Data folder: (\S+)\n/.exec(demo.output())?.[1] as string;
    await embedOne(url, dataDir, envFor(testDir(), demo.tmp));
    const hosts = childPids(demo.child.pid as number);
    expect(hosts.length).toBeGreaterThan(0);
    demo.child.kill('SIGINT');
    await expect.poll(() => demo.output()).toContain('Stopping Modelbay…');
    demo.child.kill('SIGINT');
    // 0 when the orderly stop was done before the second signal arrived, 1 when it cut it short.
    expect([0, 1]).toContain(await demo.exit);
    expect(demo.output()).not.toMatch(/\n\s+at /);
    expect(demoDirs(demo.tmp)).toEqual([]);
    await expect.poll(() => hosts.filter(running)).toEqual([]);
  });

  it('a test Hub port that is taken: exit 1 naming --hub-port, and the temp folder is removed', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const demo = startDemo(['--port', '0', '--hub-port', String((taken.address() as { port: number }).port)]);
      expect(await demo.exit).toBe(1);
      expect(demo.output()).toContain('--hub-port');
      expect(demo.output()).not.toMatch(/\n\s+at /);
      expect(demoDirs(demo.tmp)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('bad values exit 2 with the usage (as JSON with --json) and create nothing; --help exits 0', async () => {
    const bad = startDemo(['--hub-port', 'x']);
    expect(await bad.exit).toBe(2);
    expect(bad.output()).toContain('--hub-port must be a number');
    expect(bad.output()).toContain('Usage: modelbay demo');
    expect(demoDirs(bad.tmp)).toEqual([]);

    const json = startDemo(['--port', 'nope', '--json']);
    expect(await json.exit).toBe(2);
    expect(JSON.parse(json.output().trim())).toMatchObject({ error: { code: 'EMB-E002', details: { usage: true } } });

    const help = startDemo(['--help']);
    expect(await help.exit).toBe(0);
    expect(help.output()).toContain('Usage: modelbay demo');
    expect(demoDirs(help.tmp)).toEqual([]);
  });
});
