/**
 * The settings dialog asks before it changes the Hub endpoint (which receives the HF
 * token) or the cache folder (which decides what models run); other settings save at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

const updates = async (page: Parameters<typeof calls>[0]): Promise<unknown[]> => (await calls(page)).filter((c) => c.command === 'updateSettings').map((c) => c.input);

describe('settings confirmation in Chromium', () => {
  it('a new endpoint and cache folder wait for the user to confirm; Keep editing sends nothing', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.getByLabel('Hugging Face endpoint').fill('http://127.0.0.1:9000');
    await page.getByLabel('Cache folder').fill('/srv/models/hf');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    const confirm = dialog.getByRole('group', { name: 'Confirm these changes' });
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('your Hugging Face token, will go to http://127.0.0.1:9000');
    expect(await confirm.textContent()).toContain('/srv/models/hf');
    await page.screenshot({ path: `${SHOTS}/settings-confirm.png` });
    expect(await updates(page)).toEqual([]);

    await confirm.getByRole('button', { name: 'Keep editing' }).click();
    expect(await confirm.isVisible()).toBe(false);
    expect(await updates(page)).toEqual([]);

    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.getByRole('button', { name: 'Apply changes' }).click();
    await expect.poll(() => updates(page)).toEqual([expect.objectContaining({ hfEndpoint: 'http://127.0.0.1:9000', cacheDir: '/srv/models/hf' })]);
    expect(dashboard.consoleErrors(page)).toEqual([]);
    await page.close();
  });

  it('other settings save without a question', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.getByLabel('Parallel downloads').fill('5');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => updates(page)).toEqual([expect.objectContaining({ downloadConcurrency: 5 })]);
    expect(await dialog.getByRole('group', { name: /Confirm/ }).count()).toBe(0);
    await page.close();
  });
});
