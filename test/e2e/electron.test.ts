/**
 * The desktop app itself, through Playwright's Electron driver: the window opens on the
 * dashboard, `window.modelbay` is the preload's API, and the renderer has no Node. The
 * Electron binary cannot be downloaded on machines without a network (the install is
 * offline-safe and leaves it out), so this suite runs only where `npm run
 * fetch-binaries` has put it in place, and says so when it cannot.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const ELECTRON_DIR = join(ROOT, 'node_modules', 'electron');

/** The binary's path when it is installed; never triggers electron's own download. */
function electronBinary(): string | null {
  const pathFile = join(ELECTRON_DIR, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(ELECTRON_DIR, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const binary = electronBinary();
const display = process.platform !== 'linux' || Boolean(process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']);
const why = binary === null
  ? 'the Electron binary is not installed (offline install; `npm run fetch-binaries` fetches it where a network exists)'
  : 'there is no display (run under Xvfb: xvfb-run npm test)';
if (!binary || !display) process.stdout.write(`Electron end-to-end tests skipped: ${why}.\n`);

describe.skipIf(!binary || !display)('the Electron app', () => {
  let app: ElectronApplication;
  let dataDir: string;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`electron-vite build failed:\n${build.stderr}`);
    dataDir = await mkdtemp(join(tmpdir(), 'modelbay-electron-'));
    app = await electron.launch({
      executablePath: binary as string,
      args: [ROOT, '--no-sandbox'],
      env: { ...process.env, MODELBAY_DATA_DIR: dataDir, HF_HUB_CACHE: join(dataDir, 'hf'), HF_HUB_OFFLINE: '1' },
    });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('opens the dashboard with 13 slots over the preload API, and the page has no Node', async () => {
    const page = await app.firstWindow();
    await page.locator('[data-slot="E13"] .slot-name').waitFor({ timeout: 60_000 });
    expect(await page.locator('.slot-grid [data-slot]').count()).toBe(13);
    const isolation = await page.evaluate(() => ({
      api: typeof (window as unknown as { modelbay?: { load?: unknown } }).modelbay?.load,
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      ipc: typeof (window as unknown as { ipcRenderer?: unknown }).ipcRenderer,
    }));
    expect(isolation).toEqual({ api: 'function', require: 'undefined', process: 'undefined', ipc: 'undefined' });
    await page.screenshot({ path: join(ROOT, 'test-results', 'electron-dashboard.png') });
  });
});
