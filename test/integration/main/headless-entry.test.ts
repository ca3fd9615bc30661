/** The headless entry as a real process: it prints the dashboard URL, serves it, and stops cleanly on SIGTERM and SIGINT. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ENTRY = join(import.meta.dirname, '../../../src/main/headless/main.ts');
const CLI = join(import.meta.dirname, '../../../scripts/modelbay.mjs');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function serve(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; url: Promise<string>; exit: Promise<number | null>; output: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'modelbay-headless-'));
  dirs.push(dir);
  return serveIn(dir, args, extraEnv);
}

function serveIn(dir: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; url: Promise<string>; exit: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, '--port', '0', '--data-dir', join(dir, 'data'), ...args], {
    env: { ...process.env, HOME: dir, HF_HOME: join(dir, 'hf'), HF_ENDPOINT: 'http://127.0.0.1:9', XDG_CONFIG_HOME: join(dir, 'cfg'), PATH: `/nonexistent:${process.env['PATH'] ?? ''}`, MODELBAY_PORT: '', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      out += c;
      const m = /serving the dashboard at (http:\/\/\S+)\n/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.stderr?.on('data', (c: string) => {
      out += c;
    });
    child.on('exit', () => reject(new Error(`exited before serving:\n${out}`)));
  });
  // A test that only checks the exit need not wait for a URL that never comes.
  url.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, url, exit, output: () => out };
}

describe('modelbay serve after a crash (issue #21)', () => {
  it('kill -9 of a running server, then an immediate start: it takes the data folder over at once and logs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbay-headless-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const env = { ...process.env, HOME: dir, HF_HOME: join(dir, 'hf'), HF_ENDPOINT: 'http://127.0.0.1:9', XDG_CONFIG_HOME: join(dir, 'cfg'), PATH: `/nonexistent:${process.env['PATH'] ?? ''}`, MODELBAY_PORT: '' };
    // The first server's parent never waits for it (sh execs into sleep), so once killed it
    // stays a zombie: its pid still answers kill(pid, 0), as right after a crash.
    const cmd = `"${process.execPath}" --import tsx "${ENTRY}" --port 0 --data-dir "${dataDir}" & exec sleep 600`;
    const parent = spawn('/bin/sh', ['-c', cmd], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(parent);
    let out = '';
    parent.stdout?.setEncoding('utf8');
    parent.stderr?.setEncoding('utf8');
    parent.stdout?.on('data', (c: string) => { out += c; });
    parent.stderr?.on('data', (c: string) => { out += c; });
    await vi.waitFor(() => { expect(out).toMatch(/serving the dashboard at http/); }, { timeout: 120_000, interval: 100 });
    const first = JSON.parse(readFileSync(join(dataDir, 'instance.lock'), 'utf8')) as { pid: number };
    process.kill(first.pid, 'SIGKILL');
    const s = serveIn(dir, []);
    await s.url;
    expect(s.output()).toMatch(new RegExp(`data folder .*pid ${first.pid}.*(gone|no longer runs)`));
    expect(s.output()).not.toContain('EMB-E407');
    expect(JSON.parse(readFileSync(join(dataDir, 'instance.lock'), 'utf8'))).toMatchObject({ pid: s.child.pid });
    const log = readdirSync(join(dataDir, 'logs')).map((f) => readFileSync(join(dataDir, 'logs', f), 'utf8')).join('');
    expect(log).toContain(`pid ${first.pid}`);
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  }, 240_000);
});

describe('modelbay serve (headless entry)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('with stdout a pipe, prints the URL without the token and how to get it; serves it; exits 0 on %s', async (signal) => {
    const s = serve([]);
    const url = await s.url;
    // A pipe ends up in nohup.out or journald: the token stays out of it.
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const dataDir = join(dirs[dirs.length - 1] as string, 'data');
    const token = readFileSync(join(dataDir, 'server-token'), 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.output()).not.toContain(token);
    expect(s.output()).toContain('modelbay token');
    expect(s.output()).toContain(join(dataDir, 'server-token'));
    const res = await fetch(`${url}?token=${token}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(statSync(join(dataDir, 'server-token')).mode & 0o777).toBe(0o600);
    // `modelbay token` prints it, and only it, for $(…) in scripts.
    const printed = spawnSync(process.execPath, [CLI, 'token', '--data-dir', dataDir], { encoding: 'utf8' });
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe(`${token}\n`);
    s.child.kill(signal);
    expect(await s.exit).toBe(0);
    expect(s.output()).toContain('Stopping Modelbay');
  });

  it('a non-loopback --host prints a loud warning', async () => {
    const s = serve(['--host', '0.0.0.0']);
    await s.url;
    expect(s.output()).toContain('WARNING: Modelbay is listening on 0.0.0.0');
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it('`modelbay token` for a folder without a token says so and exits 3 (no server has run with it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbay-headless-'));
    dirs.push(dir);
    const printed = spawnSync(process.execPath, [CLI, 'token', '--data-dir', dir], { encoding: 'utf8' });
    expect(printed.status).toBe(3);
    expect(printed.stdout).toBe('');
    expect(printed.stderr).toContain('modelbay serve');
  });

  it('a bad flag exits 2 (usage) with the usage; with --json the error is JSON', async () => {
    const s = serve(['--port', 'many']);
    await expect(s.url).rejects.toThrow('The port must be a number');
    expect(await s.exit).toBe(2);
    const bogus = serve(['--bogus']);
    expect(await bogus.exit).toBe(2);
    expect(bogus.output()).toContain('Usage: modelbay serve');
    const json = serve(['--bogus', '--json']);
    expect(await json.exit).toBe(2);
    expect(JSON.parse(json.output().trim())).toMatchObject({ error: { code: 'EMB-E002', message: expect.stringContaining('--bogus') as unknown } });
  });

  it('--help prints the usage and exits 0 without fetching anything, even when asked to fetch the CUDA provider', async () => {
    const s = serve(['--help'], { MODELBAY_FETCH_CUDA: '1' });
    expect(await s.exit).toBe(0);
    expect(s.output()).toContain('Usage: modelbay serve');
    expect(s.output()).not.toContain('Fetching');
  });

  it('--json prints one JSON line once serving, without the token, and nothing else on stdout', async () => {
    const s = serve(['--json']);
    let stdout = '';
    const line = await new Promise<string>((resolve, reject) => {
      s.child.stdout?.on('data', (c: string) => {
        stdout += c;
        const found = s.output().split('\n').find((l) => l.startsWith('{'));
        if (found) resolve(found);
      });
      s.child.on('exit', () => reject(new Error(s.output())));
    });
    const info = JSON.parse(line) as { event: string; url: string; port: number; tokenPath: string };
    expect(info).toMatchObject({ event: 'serving', url: `http://127.0.0.1:${info.port}/` });
    expect(line).not.toContain(readFileSync(info.tokenPath, 'utf8').trim());
    // A script reads stdout line by line as JSON: progress words go to stderr.
    expect(stdout.split('\n').filter((l) => l.trim() !== '')).toEqual([line]);
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it.each([
    ['a folder the file system refuses (/proc)', () => '/proc/modelbay'],
    ['a file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'modelbay-headless-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'data'), 'a file');
      return join(dir, 'data');
    }],
    ['a folder that takes no files', () => '/sys'],
  ])('a data folder that cannot be used (%s): EMB-E408 naming it, exit 1, at once', async (_what, folder) => {
    const dataDir = folder();
    const s = serve(['--data-dir', dataDir]);
    expect(await s.exit).toBe(1);
    expect(s.output()).toContain(`Modelbay could not start: The data folder ${dataDir} cannot be used`);
    expect(s.output()).toContain('(EMB-E408)');
    expect(s.output()).toContain('--data-dir');
  });

  it('--require-gpu without a usable GPU prints the reason and the remedy and exits 101 before serving', async () => {
    const fakeBin = join(import.meta.dirname, '../../../src/devkit/nvidia-smi/bin');
    const s = serve(['--require-gpu'], { PATH: `${fakeBin}:${process.env['PATH'] ?? ''}`, FAKE_NVIDIA_SMI_MODE: 'no-gpu' });
    await expect(s.url).rejects.toThrow(/exited before serving/);
    expect(await s.exit).toBe(101);
    expect(s.output()).toContain('Modelbay requires a GPU (strict GPU start) and cannot start.');
    expect(s.output()).toMatch(/Reason: No usable NVIDIA GPU/);
    expect(s.output()).toMatch(/Remedy: Install the NVIDIA driver/);
    expect(s.output()).not.toContain('serving the dashboard');
  });

  it('MODELBAY_REQUIRE_GPU=1 with every GPU hidden exits 101 too', async () => {
    const s = serve([], { MODELBAY_REQUIRE_GPU: '1', CUDA_VISIBLE_DEVICES: '-1' });
    expect(await s.exit).toBe(101);
    await expect(s.url).rejects.toThrow(/exited before serving/);
    expect(s.output()).toContain('Reason: CUDA_VISIBLE_DEVICES is "-1", which hides every GPU from CUDA.');
  });
});
