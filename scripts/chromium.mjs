#!/usr/bin/env node
// The Chromium the browser tests and bench:ui drive (through playwright-core, never
// `playwright install`). Looked for in CHROME_PATH, on PATH, at Debian's /usr/bin/chromium
// and in Playwright's cache. `node scripts/chromium.mjs --ensure` (npm's pretest) installs
// Debian's package when none is found and it runs as root on Debian, as .ci/run does;
// elsewhere it stops at once with the one command to run.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function playwrightCache(env) {
  const root = env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
  if (!existsSync(root)) return [];
  const out = [];
  for (const dir of readdirSync(root).sort().reverse()) {
    if (dir.startsWith('chromium_headless_shell-')) out.push(join(root, dir, 'chrome-linux', 'headless_shell'), join(root, dir, 'chrome-headless-shell-linux64', 'chrome-headless-shell'));
    else if (dir.startsWith('chromium-')) out.push(join(root, dir, 'chrome-linux', 'chrome'), join(root, dir, 'chrome-linux64', 'chrome'));
  }
  return out;
}

/** The first usable Chromium, or null. */
export function findChromium(env = process.env) {
  const candidates = [];
  if (env.CHROME_PATH) candidates.push(env.CHROME_PATH);
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) for (const name of NAMES) candidates.push(join(dir, name));
  candidates.push('/usr/bin/chromium', ...playwrightCache(env));
  return candidates.find((p) => existsSync(p) && executable(p)) ?? null;
}

export const INSTALL_HINT = 'Chromium is needed for the browser tests. On Debian/Ubuntu run: sudo apt-get install chromium   (or set CHROME_PATH to a Chrome or Chromium binary)';

function ensure() {
  const found = findChromium();
  if (found) return found;
  const debian = existsSync('/etc/debian_version');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!debian || !root) {
    process.stderr.write(`${INSTALL_HINT}\n`);
    process.exit(1);
  }
  process.stdout.write('No Chromium found: installing Debian\'s chromium (as .ci/run does)…\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core'], { stdio: 'inherit', env });
  const installed = findChromium();
  if (!installed) {
    process.stderr.write(`${INSTALL_HINT}\n`);
    process.exit(1);
  }
  return installed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const path = process.argv.includes('--ensure') ? ensure() : findChromium();
  if (!path) {
    process.stderr.write(`${INSTALL_HINT}\n`);
    process.exit(1);
  }
  process.stdout.write(`${path}\n`);
}
