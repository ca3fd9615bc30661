/** Honest words and units on the dashboard: one word per state, GiB for memory, honest counts, usable devices only. */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { card, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

const row = (page: Page, id: string): Locator => page.locator('.readiness-table tbody tr').filter({ has: page.getByRole('cell', { name: id, exact: true }) });

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

describe('words and units', () => {
  it('an empty slot reads "no model" on its card and in readiness', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    expect(await card(page, 'E5').locator('.state-badge').textContent()).toBe('no model');
    expect(await row(page, 'E5').locator('.status').textContent()).toBe('no model');
    // A slot with a model and no files is "missing" in both places.
    expect(await card(page, 'E4').locator('.state-badge').textContent()).toBe('missing');
    expect(await row(page, 'E4').locator('.status').textContent()).toBe('missing');
    await page.close();
  });

  it('an empty slot has no memory estimate, and Pin and Preload are off with a reason', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    const empty = card(page, 'E5');
    expect(await empty.locator('.slot-facts dd').first().textContent()).toBe('—');
    for (const name of ['Pin', 'Preload']) {
      const toggle = empty.getByRole('checkbox', { name });
      expect(await toggle.isDisabled()).toBe(true);
      expect(await empty.locator('label.toggle').filter({ hasText: new RegExp(`^${name}$`) }).getAttribute('title')).toMatch(/^E5 has no model: choose one in Configure/);
    }
    // A slot with a model keeps its estimate and its toggles.
    expect(await card(page, 'E4').locator('.slot-facts dd').first().textContent()).toMatch(/^~\d/);
    expect(await card(page, 'E4').getByRole('checkbox', { name: 'Pin' }).isDisabled()).toBe(false);
    await page.close();
  });

  it('memory reads in MiB/GiB everywhere, file sizes in MB/GB', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    // E1's estimate (337 000 000 B) is memory: 321 MiB, not "337 MB".
    expect(await card(page, 'E1').locator('.slot-facts dd').first().textContent()).toBe('~321 MiB · 702 MiB');
    expect(await page.locator('.loaded-summary').textContent()).toMatch(/MiB|GiB/);
    expect(await row(page, 'E1').locator('td.right').textContent()).toBe('337 MB / 337 MB');
    await page.close();
  });

  it('Configure offers cuda devices only with the CUDA provider', async () => {
    const withCuda = await dashboard.open({ gpu: 'present' });
    await card(withCuda, 'E11').getByRole('button', { name: 'Configure E11' }).click();
    expect(await withCuda.locator('#config-device option').allTextContents()).toEqual(['cuda:0', 'cpu']);
    await withCuda.close();
    const page = await dashboard.open({ gpu: 'present', cudaProvider: false });
    await card(page, 'E11').getByRole('button', { name: 'Configure E11' }).click();
    expect(await page.locator('#config-device option').allTextContents()).toEqual(['cpu']);
    await page.keyboard.press('Escape');
    await card(page, 'E2').getByRole('button', { name: 'Configure E2' }).click();
    expect(await page.locator('#config-device option').allTextContents()).toEqual(['cuda:0 (no CUDA provider: runs on cpu)', 'cpu']);
    await page.close();
  });
});
