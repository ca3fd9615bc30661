import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelbayError } from '../../../../../src/shared/errors/errors.js';
import { DATA_DIR_LOCK, DataDirLock, readDataDirLock } from '../../../../../src/main/core/state/data-dir-lock.js';
import { processStartTime } from '../../../../../src/main/core/fs/process-identity.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'modelbay-lock-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function holdLockInChild(dir: string): Promise<{ pid: number; stop: () => void }> {
  // A real second process holding the folder (its pid and start time are its own).
  const child = spawn(process.execPath, ['-e', `
    const fs = require('node:fs');
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    fs.writeFileSync(${JSON.stringify(join(dir, DATA_DIR_LOCK))}, JSON.stringify({ pid: process.pid, startTime: start, mode: 'headless', port: 7878, at: Date.now() }), { flag: 'wx' });
    process.stdout.write('ready');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', () => resolve({ pid: child.pid as number, stop: () => child.kill('SIGKILL') })));
}

describe('DataDirLock', () => {
  it('a second instance is refused with EMB-E407 naming the process and port that hold the folder', async () => {
    const dir = tempDir();
    const other = await holdLockInChild(dir);
    try {
      let err: unknown = null;
      try {
        DataDirLock.acquire(dir, 'desktop');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ModelbayError);
      expect((err as ModelbayError).code).toBe('EMB-E407');
      expect((err as ModelbayError).message).toContain(`pid ${other.pid}`);
      expect((err as ModelbayError).message).toContain('port 7878');
    } finally {
      other.stop();
    }
  });

  it('a lock left by a killed process is taken over', async () => {
    const dir = tempDir();
    const other = await holdLockInChild(dir);
    other.stop();
    await new Promise((r) => setTimeout(r, 200));
    const lock = DataDirLock.acquire(dir, 'headless');
    expect(readDataDirLock(dir)?.pid).toBe(process.pid);
    lock.setPort(4321);
    expect(readDataDirLock(dir)?.port).toBe(4321);
    lock.release();
    expect(readDataDirLock(dir)).toBeNull();
  });

  it('a lock whose pid now belongs to another process (another start time) is stale', () => {
    const dir = tempDir();
    // Our own parent's pid is alive, but the lock says it started at another time.
    writeFileSync(join(dir, DATA_DIR_LOCK), JSON.stringify({ pid: process.ppid, startTime: '1', mode: 'headless', port: 1, at: 0 }));
    expect(processStartTime(process.ppid)).not.toBe('1');
    const lock = DataDirLock.acquire(dir, 'headless');
    expect(JSON.parse(readFileSync(join(dir, DATA_DIR_LOCK), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });
});
