/** The data folder is made and proven writable before anything uses it; each way it can fail is EMB-E408 naming it. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareDataDir } from '../../../../src/main/headless/data-dir.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'modelbay-data-dir-'));
  dirs.push(d);
  return d;
}

describe('prepareDataDir', () => {
  it('makes a missing folder and its parents, and leaves nothing behind', async () => {
    const dir = join(tempDir(), 'a', 'b', 'modelbay');
    await prepareDataDir(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a folder the file system refuses to create (/proc) ends at once with EMB-E408 naming it', async () => {
    // Node's recursive mkdir spins for ever here; the test's own time-out would catch that.
    await expect(prepareDataDir('/proc/modelbay')).rejects.toMatchObject({
      code: 'EMB-E408', message: expect.stringMatching(/^The data folder \/proc\/modelbay cannot be used: .*--data-dir/) as unknown,
    });
  });

  it('a file in the way, itself or above it, is EMB-E408 saying so', async () => {
    const file = join(tempDir(), 'modelbay');
    writeFileSync(file, 'not a folder');
    for (const dir of [file, join(file, 'data')]) {
      await expect(prepareDataDir(dir)).rejects.toMatchObject({ code: 'EMB-E408', message: expect.stringContaining('is a file') as unknown, details: { dataDir: dir } });
    }
  });

  it('a folder that exists but takes no files, or cannot be made for lack of permission, is EMB-E408', async () => {
    // /sys refuses new files and folders even to root (a chmod would not stop root).
    await expect(prepareDataDir('/sys')).rejects.toMatchObject({ code: 'EMB-E408', message: expect.stringContaining('cannot be written') as unknown });
    await expect(prepareDataDir('/sys/modelbay')).rejects.toMatchObject({ code: 'EMB-E408', message: expect.stringContaining('/sys/modelbay') as unknown });
  });
});
