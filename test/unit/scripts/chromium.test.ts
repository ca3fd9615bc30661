import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findChromium, INSTALL_HINT } from '../../../scripts/chromium.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeBinary(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('findChromium', () => {
  it('prefers CHROME_PATH, then PATH, then the usual places and Playwright\'s cache', () => {
    const root = mkdtempSync(join(tmpdir(), 'modelbay-chromium-'));
    dirs.push(root);
    const explicit = fakeBinary(join(root, 'explicit'), 'my-chrome');
    const onPath = fakeBinary(join(root, 'bin'), 'chromium-browser');
    expect(findChromium({ CHROME_PATH: explicit, PATH: join(root, 'bin') })).toBe(explicit);
    expect(findChromium({ PATH: join(root, 'bin') })).toBe(onPath);
    // A CHROME_PATH that does not exist is skipped, not trusted.
    expect(findChromium({ CHROME_PATH: join(root, 'missing'), PATH: join(root, 'bin') })).toBe(onPath);
    const cached = fakeBinary(join(root, 'pw', 'chromium-1200', 'chrome-linux'), 'chrome');
    const found = findChromium({ PATH: join(root, 'empty'), PLAYWRIGHT_BROWSERS_PATH: join(root, 'pw') });
    // Debian's /usr/bin/chromium comes before the cache when it exists.
    expect([cached, '/usr/bin/chromium']).toContain(found);
    expect(INSTALL_HINT).toContain('apt-get install chromium');
  });
});
