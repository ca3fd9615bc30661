/**
 * Issue #10: a cache folder Modelbay may not write fails with its own code and a remedy
 * naming the folder — not "EMB-E500 Internal error: EACCES mkdir". Root ignores file
 * modes, so as root the download runs in a child process as the unprivileged "nobody".
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MODEL, startEnv, type HubTestEnv } from './hub-test-env.js';

const CHILD = fileURLToPath(new URL('./download-child.ts', import.meta.url));
const NOBODY = 65534;

async function downloadInChild(cacheDir: string, endpoint: string): Promise<{ code?: string; message?: string; done?: string }> {
  const asRoot = process.getuid?.() === 0;
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, cacheDir, endpoint, MODEL, 'model.onnx'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(asRoot ? { uid: NOBODY, gid: NOBODY, env: { ...process.env, HOME: tmpdir() } } : {}),
  });
  let last: { code?: string; message?: string; done?: string } = {};
  for await (const line of createInterface({ input: child.stdout })) {
    const p = JSON.parse(line) as { code?: string; message?: string; done?: string; error?: string };
    if (p.error !== undefined || p.done !== undefined) last = p;
  }
  return last;
}

describe.runIf(process.platform !== 'win32')('Downloader: cache folder permissions', () => {
  let env: HubTestEnv;
  let root: string;
  beforeEach(async () => {
    env = await startEnv();
    root = await mkdtemp(join(tmpdir(), 'modelbay-perm-'));
    await chmod(root, 0o755);
  });
  afterEach(async () => {
    await chmod(join(root, 'hub'), 0o755).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    await env.close();
  });

  it('an unwritable cache folder fails with EMB-E123 naming the folder and the remedy', async () => {
    const cacheDir = join(root, 'hub');
    await mkdir(cacheDir);
    await chmod(cacheDir, 0o555);
    const r = await downloadInChild(cacheDir, env.hub.endpoint);
    expect(r.code).toBe('EMB-E123');
    expect(r.message).toContain(cacheDir);
    expect(r.message).toMatch(/permissions|chmod/);
  });
});
