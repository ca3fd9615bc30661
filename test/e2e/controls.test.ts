/** The controls the API had and the dashboard lacked: clear cache, delete files, try it, stats and health, offline mode. */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedControl } from '../../src/devkit/dashboard/scripted-api.js';
import { calls, card, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

const row = (page: Page, id: string) => page.locator('.readiness-table tbody tr').filter({ has: page.getByRole('cell', { name: id, exact: true }) });


describe('cache, files, try it, stats, offline', () => {
  it('Clear cache says what it frees and what it keeps, waits for loaded slots, then sends clearCache', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await page.getByRole('button', { name: 'Clear cache…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clear the model cache?' });
    await dialog.waitFor();
    const text = (await dialog.textContent()) ?? '';
    expect(text).toMatch(/Deletes the files of 9 slots \(E1, E2, E3, E6, E7, E8, E10, E11, E12\) and frees [\d.]+ GB\./);
    expect(text).toContain('Keeps everything else in /home/researcher/.cache/huggingface/hub');
    expect(text).toContain('E1, E3, E6, E7, E8, E10, E11 are loaded or downloading');
    const confirm = dialog.getByRole('button', { name: /^Delete [\d.]+ GB$/ });
    expect(await confirm.isDisabled()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/clear-cache.png` });
    // Once nothing holds the files, the same dialog lets the user clear.
    await page.evaluate(() => {
      const scripted = (window as unknown as { __scripted: ScriptedControl }).__scripted;
      for (const id of ['E1', 'E3', 'E6', 'E7', 'E8', 'E10', 'E11'] as const) {
        scripted.emit({ type: 'slot', slot: { id, name: id, state: 'ready', error: null, health: 'unknown', pinned: false, preload: false, device: 'cuda:0', estimateBytes: 1, measuredBytes: null, lastUsedAt: null, useCount: 0, loadCount: 0, failures: 0, idleTtlMs: null, loadedAt: null, lastLoadMs: null } });
      }
    });
    await expect.poll(() => confirm.isEnabled()).toBe(true);
    await confirm.click();
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'clearCache')).toEqual([{ command: 'clearCache', input: {} }]);
    await page.close();
  });

  it('Delete files asks in the readiness row, then sends clearSlot; a loaded slot cannot', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    expect(await row(page, 'E1').getByRole('button', { name: 'Delete the files of E1' }).isDisabled()).toBe(true);
    expect(await row(page, 'E5').getByRole('button', { name: 'Delete the files of E5' }).count()).toBe(0);
    await row(page, 'E2').getByRole('button', { name: 'Delete the files of E2' }).click();
    const ask = row(page, 'E2').getByRole('group', { name: 'Confirm deleting the files of E2' });
    expect(await ask.textContent()).toContain('Delete 120 MB? Files other slots use stay.');
    expect((await calls(page)).some((c) => c.command === 'clearSlot')).toBe(false);
    await page.locator('.readiness').screenshot({ path: `${SHOTS}/delete-files.png` });
    await ask.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'clearSlot')).toEqual([{ command: 'clearSlot', input: { slot: 'E2' } }]);
    await page.close();
  });

  it('Try it on a loaded slot shows dims, norm, first values and latency; details show stats and health', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await card(page, 'E1').getByRole('button', { name: 'Details of E1' }).click();
    const dialog = page.getByRole('dialog', { name: 'E1 Semantic' });
    await dialog.waitFor();
    const stats = (await dialog.locator('.details-stats').first().textContent()) ?? '';
    expect(stats).toContain('Healthhealthy');
    expect(stats).toContain('Uses (embed calls)1,843');
    expect(stats).toContain('Loads2');
    await dialog.getByLabel('Text to embed').fill('hello world');
    await dialog.getByRole('button', { name: 'Embed', exact: true }).click();
    const result = dialog.getByLabel('Embedding result');
    await result.waitFor();
    expect(await result.textContent()).toMatch(/Dimensions384Norm1\.0000Latency\d+ msFirst values\[ ?-?0\.\d{4}, /);
    expect((await calls(page)).filter((c) => c.command === 'embed')).toEqual([{ command: 'embed', input: { slot: 'E1', texts: ['hello world'] } }]);
    await page.screenshot({ path: `${SHOTS}/try-it.png` });
    await page.keyboard.press('Escape');
    // A slot that is not loaded shows its figures and says how to try it.
    await card(page, 'E2').getByRole('button', { name: 'Details of E2' }).click();
    const e2 = page.getByRole('dialog', { name: 'E2 TemporalRecent' });
    await e2.waitFor();
    expect(await e2.getByRole('button', { name: 'Embed', exact: true }).isDisabled()).toBe(true);
    expect(await e2.textContent()).toContain('Load E2 to try it.');
    await page.close();
  });

  it('offline mode shows a badge, and bulk download is off with the reason', async () => {
    const page = await dashboard.open({ gpu: 'present', offline: true });
    const badge = page.locator('.app-header .badge-offline');
    expect(await badge.textContent()).toContain('offline');
    const bulk = page.locator('.app-header').getByRole('button', { name: 'Download & verify all' });
    expect(await bulk.isDisabled()).toBe(true);
    expect(await bulk.getAttribute('title')).toContain('HF_HUB_OFFLINE');
    expect(await page.locator('.readiness .offline-note').textContent()).toContain('downloads are off');
    await page.locator('.app-header').screenshot({ path: `${SHOTS}/offline-header.png` });
    const online = await dashboard.open({ gpu: 'present' });
    expect(await online.locator('.badge-offline').count()).toBe(0);
    await online.close();
    await page.close();
  });

  it('Settings → Logs: debug toggle saves, Copy diagnostics gathers version, GPU, settings and log lines without a token', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('button', { name: 'Download log' }).count()).toBe(1);
    await dialog.getByLabel('Debug logging (more detail in the log file)').check();
    await dialog.getByRole('button', { name: 'Copy diagnostics' }).click();
    const text = dialog.getByLabel('Diagnostics');
    await text.waitFor();
    const body = await text.inputValue();
    expect(body).toContain('version: 0.1.0 (headless)');
    expect(body).toContain('GPU 0: NVIDIA GeForce RTX 4080 SUPER');
    expect(body).toContain('"source": "env"');
    expect(body).toContain('"code":"EMB-E102"');
    expect(body).not.toMatch(/hf_[A-Za-z0-9]{8,}/);
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await calls(page)).find((c) => c.command === 'updateSettings')?.input).toMatchObject({ debugLog: true });
    await page.close();
    const desktop = await dashboard.open({ gpu: 'present', mode: 'electron' });
    await desktop.getByRole('button', { name: 'Settings', exact: true }).click();
    await desktop.getByRole('dialog').getByRole('button', { name: 'Open logs' }).click();
    await expect.poll(() => desktop.getByRole('dialog').locator('.logs-status').textContent()).toContain('Opened /home/researcher/.config/modelbay/logs');
    await desktop.close();
  });
});
