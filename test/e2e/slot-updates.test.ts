/**
 * Updates in the dashboard against the scripted window.modelbay: the card's Update button
 * beside the "update · size" badge applies the update (the badge then goes), and the
 * Configure dialog lists the slot's revisions with a Roll back to the one used before.
 * Screenshots land in test-results/slot-update*.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, card, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

const dialog = (page: Page) => page.getByRole('dialog', { name: /^Configure/ });
const sent = async (page: Page, command: string): Promise<unknown[]> => (await calls(page)).filter((c) => c.command === command).map((c) => c.input);
const C1 = '7dbbc903';
const C0 = '8b3219a9';

describe('slot updates', () => {
  it('applies an update from the card and rolls it back from Configure, where the history is listed', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    const e8 = card(page, 'E8');
    const update = e8.getByRole('button', { name: `Update E8 to ${C1}`, exact: true });
    await update.waitFor();
    expect(await e8.locator('.slot-update').textContent()).toBe('update · 90.9 MB');
    expect(await card(page, 'E1').getByRole('button', { name: /^Update E1/ }).count()).toBe(0);
    await e8.screenshot({ path: `${SHOTS}/slot-update-card.png` });

    // Configure lists the revisions, newest activation first, the one in use marked.
    await e8.getByRole('button', { name: 'Configure E8', exact: true }).click();
    await dialog(page).waitFor();
    const list = dialog(page).getByRole('list', { name: 'Revisions of E8' });
    expect(await list.locator('li').allTextContents()).toEqual([
      expect.stringMatching(/^8b3219a92973in usefetched 9 d agoactivated 9 d ago$/),
      expect.stringMatching(/^e4a5c51f1e2bfetched 40 d agoactivated 40 d ago$/),
    ]);
    await dialog(page).locator('.slot-revisions').scrollIntoViewIfNeeded();
    await dialog(page).screenshot({ path: `${SHOTS}/slot-update-history.png` });
    await dialog(page).getByRole('button', { name: 'Close configuration' }).click();

    await update.click();
    await expect.poll(() => sent(page, 'applyUpdate')).toEqual([{ slot: 'E8' }]);
    await expect.poll(() => e8.locator('.slot-update').count()).toBe(0);

    await e8.getByRole('button', { name: 'Configure E8', exact: true }).click();
    await dialog(page).waitFor();
    await expect.poll(() => list.locator('li').first().textContent()).toContain('7dbbc90392e2in use');
    expect(await list.locator('li').count()).toBe(3);
    await dialog(page).getByRole('button', { name: `Roll back to ${C0}`, exact: true }).click();
    await expect.poll(() => sent(page, 'rollbackUpdate')).toEqual([{ slot: 'E8' }]);
    await expect.poll(() => list.locator('li').first().textContent()).toContain('8b3219a92973in use');
    // Back on the older commit: the update is offered again.
    await dialog(page).getByRole('button', { name: 'Close configuration' }).click();
    await expect.poll(() => e8.locator('.slot-update').count()).toBe(1);

    // A slot without history shows no list.
    await card(page, 'E2').getByRole('button', { name: 'Configure E2', exact: true }).click();
    await dialog(page).waitFor();
    expect(await dialog(page).getByRole('list', { name: 'Revisions of E2' }).count()).toBe(0);
    await page.close();
  });
});
