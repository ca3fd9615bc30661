/**
 * The On-disk view in Chromium against the scripted api: models found in the cache with
 * their sizes and users, one choice to assign one to a slot, a two-step revision delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, card, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

const C1 = '7dbbc90392e2f80f3d3c277d6e90027e55de9125';
const C0 = '8b3219a92973c328a8e22fadcfa821b5dc75636a';

describe('On disk view', () => {
  it('lists models with size and users, assigns one to a slot in one choice, deletes a revision after a confirmation', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    const panel = page.locator('section.disk');
    await expect.poll(() => panel.locator('.card-title').textContent()).toMatch(/On disk · 5 models · 4 repositories · [\d.]+ MB/);
    const row = panel.locator(`tr[data-model="hf:sentence-transformers/all-MiniLM-L6-v2@${C1}:onnx/model.onnx"]`);
    expect(await row.textContent()).toContain('90.9 MB');
    expect(await row.textContent()).toContain('E8');
    expect(await row.textContent()).toContain('7dbbc903 (main)');
    // An incomplete model says why and cannot be assigned.
    const broken = panel.locator('tr', { hasText: 'BAAI/bge-base-en-v1.5' }).first();
    expect(await broken.textContent()).toContain('dangling link');
    expect(await broken.locator('select').isDisabled()).toBe(true);
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/disk-view.png`, fullPage: true });

    const older = panel.locator(`tr[data-model="hf:sentence-transformers/all-MiniLM-L6-v2@${C0}:onnx/model.onnx"]`);
    await older.locator('select').selectOption('E4');
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'assignModel')).toEqual([
      { command: 'assignModel', input: { slot: 'E4', model: `hf:sentence-transformers/all-MiniLM-L6-v2@${C0}:onnx/model.onnx` } },
    ]);
    await expect.poll(() => older.textContent()).toContain('E4');
    await expect.poll(() => card(page, 'E4').locator('.state-badge').getAttribute('data-state')).toBe('ready');

    await panel.locator('summary').click();
    const revRow = panel.locator('.disk-repos tr', { hasText: '8b3219a9 (v1.0)' });
    await revRow.getByRole('button', { name: 'Delete', exact: true }).click();
    expect((await calls(page)).some((c) => c.command === 'deleteRevision')).toBe(false);
    await page.locator('.disk-repos').screenshot({ path: `${SHOTS}/disk-repos.png` });
    await revRow.getByRole('button', { name: /^Delete 90\.9 MB\?$/ }).click();
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'deleteRevision')).toEqual([
      { command: 'deleteRevision', input: { repo: 'sentence-transformers/all-MiniLM-L6-v2', commit: C0 } },
    ]);
    await expect.poll(() => panel.locator('.disk-repos tr', { hasText: '8b3219a9 (v1.0)' }).count()).toBe(0);
    await page.close();
  });
});
