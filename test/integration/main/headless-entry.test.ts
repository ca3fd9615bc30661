/** The headless entry as a real process: it prints the dashboard URL, serves it, and stops cleanly on SIGTERM and SIGINT. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

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
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, url, exit, output: () => out };
}

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

  it('`modelbay token` for a folder without a token says so and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbay-headless-'));
    dirs.push(dir);
    const printed = spawnSync(process.execPath, [CLI, 'token', '--data-dir', dir], { encoding: 'utf8' });
    expect(printed.status).toBe(1);
    expect(printed.stdout).toBe('');
    expect(printed.stderr).toContain('modelbay serve');
  });

  it('a bad flag exits 1 with the usage', async () => {
    const s = serve(['--port', 'many']);
    await expect(s.url).rejects.toThrow('The port must be a number');
    expect(await s.exit).toBe(1);
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
