/**
 * MIG compute instances in the browser: the headless composition runs against the fake
 * nvidia-smi replaying a hand-written H200 layout (GPU instance 1 split into 1c.3g.71gb and
 * 2c.3g.71gb beside 1g.18gb+me and two 1g.18gb). All five MIG devices are listed and
 * placeable; the two compute instances sit under their GPU instance, which shows the shared
 * memory once; their budget is one, counted once; the settings dialog gives them one field.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GiB } from '../../src/shared/values/bytes.js';
import { composeApp, type Composition } from '../../src/main/startup/compose.js';
import { startServer, type RunningServer } from '../../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../../src/main/server/server-token.js';
import { testLauncher } from '../integration/runtime/test-hosts.js';
import { launchBrowser } from '../../src/devkit/browser.js';
import { buildRenderer } from '../../src/devkit/renderer-build.js';

const SHOTS = resolve(import.meta.dirname, '../../test-results/gpu-mig-groups');
const FAKE_SMI = join(import.meta.dirname, '../../src/devkit/nvidia-smi/bin/nvidia-smi');
const LAYOUT = join(import.meta.dirname, '../fixtures/nvidia-smi/layouts/h200-mig-compute-instances.txt');
const CATALOG = resolve(import.meta.dirname, '../../resources/catalog.json');
const CI1 = 'cuda:0/mig:1c.3g.71gb:5c1e0a77';
const CI2 = 'cuda:0/mig:2c.3g.71gb:a03f9b12';

let dir: string;
let composition: Composition;
let server: RunningServer;
let browser: Browser;
let page: Page;
let cleanupRenderer: () => Promise<void>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelbay-gpu-mig-groups-'));
  await mkdir(SHOTS, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HF_HUB_CACHE: join(dir, 'hf'), HF_HOME: join(dir, 'hf-home'), HF_HUB_OFFLINE: '1' };
  composition = await composeApp({
    mode: 'headless',
    dataDir: join(dir, 'data'),
    catalogPath: CATALOG,
    launcher: testLauncher(),
    env,
    app: { gpu: { nvidiaSmi: FAKE_SMI, intervalMs: 250, processIntervalMs: 250, stallMs: 5000, env: { ...env, FAKE_NVIDIA_SMI_CAPTURE: LAYOUT } } },
  });
  await composition.app.start();
  for (let i = 0; i < 600 && composition.app.snapshot().devices.find((d) => d.device === CI2)?.sharedWith?.length !== 1; i++) await new Promise((r) => setTimeout(r, 100));
  for (const [slot, device] of [['E1', CI1], ['E2', CI2]] as const) {
    const placed = await composition.app.execute('setDevice', { slot, device });
    if (!placed.ok) throw new Error(placed.error.message);
  }
  const renderer = await buildRenderer();
  cleanupRenderer = renderer.cleanup;
  server = await startServer({ app: composition.app, token: loadOrCreateServerToken(join(dir, 'data')), port: 0, rendererDir: renderer.dir });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(server.dashboardUrl);
  await page.locator('[data-slot="E13"] .slot-name').waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await composition?.app.shutdown();
  await cleanupRenderer?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('MIG compute instances in the browser (fake nvidia-smi, H200 layout)', () => {
  it('lists all five MIG devices, the two compute instances grouped under their GPU instance with its memory shown once', async () => {
    await expect.poll(() => page.locator('.mig-table tr[data-device]').count()).toBe(5);
    expect(await page.locator('.mig-table .mig-profile').allTextContents()).toEqual(['1c.3g.71gb', '2c.3g.71gb', '1g.18gb+me', '1g.18gb', '1g.18gb']);
    const group = page.locator('.mig-table tbody.mig-group');
    await expect.poll(() => group.count()).toBe(1);
    expect(await group.getAttribute('data-group')).toBe('cuda:0/gi:1');
    expect(await group.locator('tr[data-device]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')))).toEqual([CI1, CI2]);
    expect(await group.locator('.mig-gi-profile').textContent()).toBe('3g.71gb');
    // The shared memory appears once, on the GPU-instance row; the compute-instance rows say they share it.
    expect(await group.locator('.mig-free').count()).toBe(1);
    expect(await group.locator('.mig-shared').count()).toBe(2);
    await page.locator('.gpu-card').first().screenshot({ path: join(SHOTS, 'gpu-card-compute-instances.png') });
  }, 180_000);

  it('one budget for the two compute instances, counted once, and one field for it in the settings dialog', async () => {
    const devices = composition.app.snapshot().devices;
    const ci1 = devices.find((d) => d.device === CI1);
    const ci2 = devices.find((d) => d.device === CI2);
    expect(ci1?.sharedWith).toEqual([CI2]);
    expect(ci1?.budgetBytes).toBe(ci2?.budgetBytes);
    expect(ci1?.budgetBytes).toBe(8 * GiB);
    await page.getByRole('button', { name: /settings/i }).first().click();
    const row = page.locator(`.device-budget[data-device="${CI1}"]`);
    await row.waitFor({ timeout: 120_000 });
    expect(await row.textContent()).toContain('GPU 0 · MIG 1c.3g.71gb + GPU 0 · MIG 2c.3g.71gb');
    expect(await page.locator(`.device-budget[data-device="${CI2}"]`).count()).toBe(0);
    await row.locator('input').fill('20');
    await page.locator('.settings-form').getByRole('button', { name: /^save/i }).click();
    await expect.poll(() => composition.app.snapshot().devices.find((d) => d.device === CI2)?.budgetBytes).toBe(20 * GiB);
    expect(composition.app.snapshot().devices.find((d) => d.device === CI1)?.budgetBytes).toBe(20 * GiB);
    await page.locator('.settings-dialog').screenshot({ path: join(SHOTS, 'settings-device-budgets.png') });
  }, 180_000);
});
