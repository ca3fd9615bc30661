/**
 * The whole product as a user meets it, in Debian's Chromium: the headless composition
 * (composeApp + the HTTP server, as `npm start` runs it without Electron) against the
 * test Hub on 127.0.0.1, serving real ONNX models written by the generator, with a fake
 * nvidia-smi replaying a real capture. Download all → verified → load slots until the
 * pressure rises → an LRU eviction shows in the log → the pinned slot survives → manual
 * evict → the gated repository without a token shows the token error → a slot with no default
 * model is pointed at the user's own Hub repository and downloads it. A screenshot of
 * each step lands in test-results/.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../src/shared/values/bytes.js';
import { composeApp, type Composition } from '../../src/main/startup/compose.js';
import { startServer, type RunningServer } from '../../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../../src/main/server/server-token.js';
import { startHubServer, type HubRepoSpec, type HubServer } from '../../src/devkit/hub/hub-server.js';
import { writeEmbeddingModel, type EmbeddingModel } from '../../src/devkit/onnx/embedding-model.js';
import { testLauncher } from '../integration/runtime/test-hosts.js';
import { launchBrowser } from '../../src/devkit/browser.js';
import { buildRenderer } from '../../src/devkit/renderer-build.js';

const SHOTS = resolve(import.meta.dirname, '../../test-results/user-flow');
const FAKE_SMI = join(import.meta.dirname, '../../src/devkit/nvidia-smi/bin/nvidia-smi');
/** Slots with a model in the test catalog; E5 and E9 have none, E13 is gated. */
const MODEL_SLOTS = ['E1', 'E2', 'E3', 'E4', 'E6', 'E7', 'E8', 'E10', 'E11', 'E12'] as const;
const GATED_REPO = 'test/gated-splade';
/** In no catalog entry: a user points a slot at it through Configure. */
const OWN_REPO = 'test/own-model';

let dir: string;
let hub: HubServer;
let composition: Composition;
let server: RunningServer;
let browser: Browser;
let page: Page;
let cleanupRenderer: () => Promise<void>;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const card = (id: string) => page.locator(`.slot-grid [data-slot="${id}"]`);
const stateOf = (id: string) => card(id).locator('.state-badge').getAttribute('data-state');

function catalogEntry(slot: string, repo: string, m: EmbeddingModel, gated = false): unknown {
  return {
    slot, status: 'real', repo, revision: 'main', defaultVariant: 'fp32',
    variants: { fp32: { files: [
      { path: 'onnx/model.onnx', role: 'model', size: m.files[0]?.bytes },
      { path: 'tokenizer.json', role: 'tokenizer' },
      { path: 'config.json', role: 'config' },
    ] } },
    dims: m.dim, pooling: 'mean', license: gated ? 'cc-by-nc-sa-4.0' : 'mit', gated, note: null,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelbay-flow-'));
  await mkdir(SHOTS, { recursive: true });
  // Three distinct real models (~31 MB each), shared by the slots' repositories.
  const models = await Promise.all([1, 2, 3].map((seed) => writeEmbeddingModel({ dir: join(dir, `m${seed}`), vocab: 20_000, dim: 384, seed })));
  const config = Buffer.from(JSON.stringify({ model_type: 'bert', hidden_size: 384 }));
  const repoOf = (m: EmbeddingModel, id: string, gated = false): HubRepoSpec => ({
    id, gated,
    commits: [{ files: [
      { path: 'onnx/model.onnx', content: { diskPath: m.modelPath }, lfs: true },
      { path: 'tokenizer.json', content: { diskPath: m.tokenizerPath }, lfs: false },
      { path: 'config.json', content: config, lfs: false },
    ] }],
  });
  const modelFor = (i: number): EmbeddingModel => models[i % models.length] as EmbeddingModel;
  hub = await startHubServer({
    repos: [...MODEL_SLOTS.map((s, i) => repoOf(modelFor(i), `test/${s.toLowerCase()}`)), repoOf(modelFor(0), GATED_REPO, true), repoOf(modelFor(1), OWN_REPO)],
    tokens: {},
  });
  const none = (slot: string) => ({ slot, status: 'none', repo: null, revision: null, defaultVariant: null, variants: {}, dims: 768, pooling: null, license: null, gated: false, note: 'No default model — choose one.' });
  const catalog = {
    version: 1,
    slots: [
      ...MODEL_SLOTS.map((s, i) => catalogEntry(s, `test/${s.toLowerCase()}`, modelFor(i))),
      none('E5'), none('E9'),
      catalogEntry('E13', GATED_REPO, modelFor(0), true),
    ],
  };
  const catalogPath = join(dir, 'catalog.json');
  await writeFile(catalogPath, JSON.stringify(catalog));

  const env: NodeJS.ProcessEnv = { ...process.env, HF_HUB_CACHE: join(dir, 'hf'), HF_ENDPOINT: hub.endpoint, HF_HOME: join(dir, 'hf-home') };
  delete env['HF_TOKEN'];
  delete env['HUGGING_FACE_HUB_TOKEN'];
  delete env['HF_HUB_OFFLINE'];
  composition = await composeApp({
    mode: 'headless',
    dataDir: join(dir, 'data'),
    catalogPath,
    launcher: testLauncher(),
    env,
    app: {
      gpu: { nvidiaSmi: FAKE_SMI, env: { ...env, FAKE_NVIDIA_SMI_CAPTURE: 'linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt' } },
      // Small batches keep the activation allowance near the weights, so a 192 MiB CPU
      // budget holds a few of these ~31 MB models and the next load must evict.
      hostLoadOptions: { batchSize: 4, maxSequenceLength: 64 },
    },
  });
  const budget = await composition.app.execute('updateSettings', { cpuBudgetBytes: 192 * MiB });
  if (!budget.ok) throw new Error(budget.error.message);
  await composition.app.start();
  const renderer = await buildRenderer();
  cleanupRenderer = renderer.cleanup;
  server = await startServer({ app: composition.app, token: loadOrCreateServerToken(join(dir, 'data')), port: 0, rendererDir: renderer.dir });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.dashboardUrl);
  await page.locator('[data-slot="E13"] .slot-name').waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await composition?.app.shutdown();
  await hub?.close();
  await cleanupRenderer?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a user session in the browser', () => {
  it('starts with nothing downloaded and a GPU card from nvidia-smi', async () => {
    expect(await page.locator('.readiness-summary').textContent()).toMatch(/^0\/13 ready/);
    await expect.poll(() => page.locator('.gpu-name').first().textContent()).toContain('RTX 4080');
    await shot('01-start');
  });

  it('"Download & verify all" brings every slot with a model to ready; the gated one asks for a token', async () => {
    await page.getByRole('button', { name: 'Download & verify all' }).first().click();
    await expect.poll(() => page.locator('.readiness-summary').textContent(), { timeout: 120_000, interval: 500 }).toMatch(/^10\/13 ready/);
    for (const s of MODEL_SLOTS) expect(await stateOf(s)).toBe('ready');
    await expect.poll(() => stateOf('E13'), { timeout: 10_000 }).toBe('failed');
    const gated = await card('E13').getByRole('alert').textContent();
    expect(gated).toContain('EMB-E102');
    expect(gated).toMatch(/token/i);
    // The token never went anywhere: none was set, and the CDN saw no Authorization at all.
    expect(hub.cdnAuthorizations.every((a) => a === null)).toBe(true);
    await shot('02-downloaded-and-verified');
  }, 150_000);

  it('loading slots raises the pressure until an LRU eviction shows in the log; the pinned slot survives', async () => {
    // The toggle shows the backend's state, so it turns on when the pin has been applied.
    const pin = card('E1').getByRole('checkbox', { name: /pin/i });
    await pin.click();
    await expect.poll(() => pin.isChecked()).toBe(true);
    expect(composition.app.snapshot().slots.find((s) => s.id === 'E1')?.pinned).toBe(true);
    const levels: string[] = [];
    let evicted = false;
    for (const s of MODEL_SLOTS) {
      await card(s).getByRole('button', { name: 'Load', exact: true }).click();
      await expect.poll(() => stateOf(s), { timeout: 60_000, interval: 200 }).toBe('loaded');
      levels.push((await page.locator('.gauge .level-pill').first().textContent()) ?? '');
      const log = await page.locator('.log-row .log-message').allTextContents();
      if (log.some((l) => /evicted: LRU/.test(l))) {
        evicted = true;
        break;
      }
    }
    expect(evicted).toBe(true);
    expect(levels.some((l) => !l.includes('Low'))).toBe(true);
    // E1 was loaded first and is the least recently used, but it is pinned.
    expect(await stateOf('E1')).toBe('loaded');
    const victim = composition.app.snapshot().activity.find((a) => a.kind === 'evicted' && a.reason === 'lru');
    expect(victim?.slot).not.toBe('E1');
    expect(await stateOf(victim?.slot as string)).toBe('ready');
    await shot('03-lru-eviction');
    // What a window shows without scrolling (the README's picture comes from this one).
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(SHOTS, '03-lru-eviction-window.png') });
  }, 240_000);

  it('a manual evict unloads a slot and says so', async () => {
    const loaded = composition.app.snapshot().slots.filter((s) => s.state === 'loaded' && !s.pinned);
    const target = loaded[0]?.id as string;
    expect(target).toBeDefined();
    await card(target).getByRole('button', { name: 'Evict', exact: true }).click();
    await expect.poll(() => stateOf(target), { timeout: 30_000 }).toBe('ready');
    await expect.poll(async () => (await page.locator('.log-row .log-message').allTextContents()).some((l) => l.startsWith(`${target} evicted: by hand`))).toBe(true);
    await shot('04-manual-evict');
  }, 60_000);

  it('the pinned slot asks before a forced evict', async () => {
    await card('E1').getByRole('button', { name: 'Evict', exact: true }).click();
    await card('E1').getByRole('button', { name: 'Evict anyway', exact: true }).click();
    await expect.poll(() => stateOf('E1'), { timeout: 30_000 }).toBe('ready');
    expect(pageErrors).toEqual([]);
    await shot('05-pinned-forced-evict');
  }, 60_000);

  it('a slot with no default model gets the user\'s own Hub model through Configure, downloads it and turns ready', async () => {
    await card('E5').getByRole('button', { name: 'Configure E5', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /^Configure E5/ });
    await dialog.waitFor();
    await dialog.getByLabel('Repository').fill(OWN_REPO);
    await dialog.getByLabel('Model file').fill('onnx/model.onnx');
    await dialog.getByLabel('Dimensions').fill('384');
    await dialog.getByLabel('Unload when idle for (minutes)').fill('20');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await expect.poll(() => card('E5').locator('.repo').textContent()).toBe(OWN_REPO);
    const own = composition.app.snapshot().settings.settings.slots['E5'];
    expect(own?.source).toMatchObject({ repo: OWN_REPO, revision: 'main', model: 'onnx/model.onnx', tokenizer: 'tokenizer.json', dims: 384 });
    expect(own?.idleTtlMs).toBe(20 * 60_000);
    // Configure → Save (and the Pin clicks before it) changed that slot only: the global budget set at start is kept, on disk too.
    expect(composition.settings.get().cpuBudgetBytes).toBe(192 * MiB);
    expect((JSON.parse(await readFile(join(dir, 'data', 'settings.json'), 'utf8')) as { cpuBudgetBytes: number }).cpuBudgetBytes).toBe(192 * MiB);
    // Its files are not in the cache yet.
    await expect.poll(() => stateOf('E5')).toBe('missing');
    await card('E5').getByRole('button', { name: 'Download', exact: true }).click();
    await expect.poll(() => stateOf('E5'), { timeout: 60_000, interval: 200 }).toBe('ready');
    await expect.poll(() => page.locator('.readiness-summary').textContent()).toMatch(/^11\/13 ready/);
    expect(pageErrors).toEqual([]);
    await shot('06-own-model');
  }, 90_000);
});
