/**
 * GPU figures stay fresh in the browser: the headless composition runs against the fake
 * nvidia-smi replaying the H100 MIG capture; a slot is placed on a MIG instance, and when
 * that instance's memory changes (the fake reads a file at each query) the "free on device"
 * figure of its gauge changes without a reload; when nvidia-smi stops reporting it, the
 * gauge shows unknown, never the last number. Screenshots land in test-results/gpu-live/.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { composeApp, type Composition } from '../../src/main/startup/compose.js';
import { startServer, type RunningServer } from '../../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../../src/main/server/server-token.js';
import { testLauncher } from '../integration/runtime/test-hosts.js';
import { launchBrowser } from '../../src/devkit/browser.js';
import { buildRenderer } from '../../src/devkit/renderer-build.js';

const SHOTS = resolve(import.meta.dirname, '../../test-results/gpu-live');
const FAKE_SMI = join(import.meta.dirname, '../../src/devkit/nvidia-smi/bin/nvidia-smi');
const CATALOG = resolve(import.meta.dirname, '../../resources/catalog.json');
const DEVICE = 'cuda:0/mig:2g.20gb:00000001';

let dir: string;
let memoryFile: string;
let composition: Composition;
let server: RunningServer;
let browser: Browser;
let page: Page;
let cleanupRenderer: () => Promise<void>;

const setMigUsed = (usedMiB: number | null): Promise<void> => writeFile(memoryFile, JSON.stringify({ migUsedMiB: { '1': usedMiB } }));
const gauge = () => page.locator(`.gauge[data-device="${DEVICE}"]`);
const freeOnDevice = () => gauge().locator('.device-free').textContent();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelbay-gpu-live-'));
  await mkdir(SHOTS, { recursive: true });
  memoryFile = join(dir, 'gpu-memory.json');
  await setMigUsed(17);
  const env: NodeJS.ProcessEnv = { ...process.env, HF_HUB_CACHE: join(dir, 'hf'), HF_HOME: join(dir, 'hf-home'), HF_HUB_OFFLINE: '1' };
  composition = await composeApp({
    mode: 'headless',
    dataDir: join(dir, 'data'),
    catalogPath: CATALOG,
    launcher: testLauncher(),
    env,
    app: {
      gpu: {
        nvidiaSmi: FAKE_SMI, intervalMs: 250, processIntervalMs: 250, stallMs: 5000,
        env: { ...env, FAKE_NVIDIA_SMI_CAPTURE: 'linux-x86_64__nvidia-h100-mig__590.48.01.txt', FAKE_NVIDIA_SMI_MEMORY_FILE: memoryFile },
      },
    },
  });
  await composition.app.start();
  // A MIG GPU's instances become devices once -L and -q have answered, just after the first sample.
  await vi.waitFor(() => { expect(composition.app.snapshot().devices.some((d) => d.device === DEVICE)).toBe(true); }, { timeout: 120_000, interval: 100 });
  const placed = await composition.app.execute('setDevice', { slot: 'E1', device: DEVICE });
  if (!placed.ok) throw new Error(placed.error.message);
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

describe('live GPU figures in the browser (fake nvidia-smi, MIG capture)', () => {
  it('lists the MIG instances on the GPU card and shows a gauge for the placed instance', async () => {
    await expect.poll(() => page.locator('.mig-table tbody tr').count()).toBe(4);
    expect(await page.locator('.mig-table .mig-profile').allTextContents()).toEqual(['3g.40gb', '2g.20gb', '1g.10gb', '1g.10gb']);
    await expect.poll(freeOnDevice).toContain('19.61 GiB free on device');
    // Only devices with slots get a gauge: the CPU and the one instance, not all four.
    expect(await page.locator('.gauge').evaluateAll((els) => els.map((e) => e.getAttribute('data-device')))).toEqual(expect.arrayContaining(['cpu', DEVICE]));
    expect(await page.locator('.gauge').count()).toBe(2);
    await page.locator('.gpu-card').first().screenshot({ path: join(SHOTS, 'gpu-card-mig.png') });
    await page.locator('.gauges').screenshot({ path: join(SHOTS, 'gauges-mig.png') });
    await page.screenshot({ path: join(SHOTS, 'dashboard-mig.png'), fullPage: true });
    await page.screenshot({ path: join(SHOTS, 'dashboard-mig-window.png') });
  }, 180_000);

  it("shows the capture's utilisation, temperature, power, fan and clock on the GPU card, each [N/A] as a dash", async () => {
    // The capture under load: utilization.gpu [N/A] (MIG), temperature 53 C, power 433.78 W of 700.00 W, fan [N/A], SM clock 1980 MHz.
    const figure = (name: string) => page.locator('.gpu-card .gpu-figures > div', { has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd');
    await expect.poll(() => figure('Temp').textContent()).toBe('53 °C');
    expect(await figure('Power').textContent()).toBe('434 / 700 W');
    expect(await figure('SM clock').textContent()).toBe('1980 MHz');
    for (const unknown of ['Util', 'Fan']) {
      expect(await figure(unknown).textContent()).toBe('—');
      expect(await figure(unknown).locator('.unknown').count()).toBe(1);
    }
  }, 180_000);

  it("the free figure follows the instance's memory without a reload, and turns unknown when nvidia-smi has none", async () => {
    await expect.poll(freeOnDevice).toContain('19.61 GiB free on device');
    await setMigUsed(10_000);
    await expect.poll(freeOnDevice).toContain('9.86 GiB free on device');
    await setMigUsed(null);
    await expect.poll(() => gauge().locator('.device-free .unknown').count()).toBe(1);
    expect(await freeOnDevice()).not.toMatch(/GiB free on device/);
    await page.locator('.gauges').screenshot({ path: join(SHOTS, 'gauges-unknown.png') });
    await setMigUsed(2048);
    await expect.poll(freeOnDevice).toContain('17.63 GiB free on device');
  }, 180_000);
});
