/**
 * The dashboard fits any window from 800 px up, in both themes: no horizontal overflow,
 * nothing in a card cut off. Screenshots of every view at each width land in
 * test-results/layout/ for people to look at.
 */
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedControl } from '../../src/devkit/dashboard/scripted-api.js';
import { card, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

const WIDTHS = [800, 1024, 1440] as const;
const THEMES = ['light', 'dark'] as const;
const DIR = `${SHOTS}/layout`;

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
  await mkdir(DIR, { recursive: true });
});

afterAll(async () => {
  await dashboard?.close();
});

/** Elements wider than the page, or whose right edge leaves the viewport. */
function overflow(page: Page): Promise<{ scroll: number; client: number; outside: string[] }> {
  return page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    const outside: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('header *, main *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || el.closest('.table-scroll, .recharts-wrapper, .visually-hidden')) continue;
      if (r.right > client + 1) outside.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)}`);
    }
    return { scroll: document.documentElement.scrollWidth, client, outside: outside.slice(0, 5) };
  });
}

describe('layout at 800, 1024 and 1440 px', () => {
  for (const theme of THEMES) {
    for (const width of WIDTHS) {
      it(`${theme} ${width} px: no horizontal overflow, every view screenshotted`, async () => {
        const page = await dashboard.open({ gpu: 'present' }, theme);
        await page.setViewportSize({ width, height: 900 });
        await page.waitForTimeout(50);
        const o = await overflow(page);
        expect(o.outside).toEqual([]);
        expect(o.scroll).toBeLessThanOrEqual(o.client);
        // Header actions stay on screen.
        const settings = page.getByRole('button', { name: 'Settings', exact: true });
        const box = await settings.boundingBox();
        expect(box && box.x + box.width).toBeLessThanOrEqual(width);
        await page.screenshot({ path: `${DIR}/dashboard-${theme}-${width}.png`, fullPage: true });

        await settings.click();
        await page.getByRole('dialog').waitFor();
        expect((await overflow(page)).scroll).toBeLessThanOrEqual(width);
        await page.screenshot({ path: `${DIR}/settings-${theme}-${width}.png` });
        await page.keyboard.press('Escape');

        await card(page, 'E2').getByRole('button', { name: 'Configure E2' }).click();
        await page.getByRole('dialog').waitFor();
        await page.screenshot({ path: `${DIR}/configure-${theme}-${width}.png` });
        await page.keyboard.press('Escape');
        await page.close();
      });
    }
  }

  it('without a GPU at 800 px: no overflow', async () => {
    const page = await dashboard.open({ gpu: 'absent' });
    await page.setViewportSize({ width: 800, height: 900 });
    const o = await overflow(page);
    expect(o.outside).toEqual([]);
    await page.screenshot({ path: `${DIR}/dashboard-no-gpu-800.png`, fullPage: true });
    await page.close();
  });

  it('a card error opens in full on a click, nothing cut off', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await page.setViewportSize({ width: 800, height: 900 });
    const notice = card(page, 'E13').getByRole('alert');
    expect(await notice.textContent()).not.toContain('401 from the Hub');
    await notice.click();
    expect(await notice.textContent()).toContain('naver/splade-v3 is gated: 401 from the Hub without a token.');
    const clipped = await notice.evaluate((el) => [...el.querySelectorAll<HTMLElement>('*')].some((c) => c.scrollWidth > c.clientWidth + 1 || c.scrollHeight > c.clientHeight + 1));
    expect(clipped).toBe(false);
    await card(page, 'E13').screenshot({ path: `${DIR}/card-error-open-800.png` });
    await notice.getByRole('button', { name: 'less' }).click();
    expect(await notice.textContent()).not.toContain('401 from the Hub');
    await page.close();
  });

  it('a card downloading again shows its progress, not its old failure', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    expect(await card(page, 'E12').getByRole('alert').count()).toBe(1);
    await page.evaluate(() => {
      const scripted = (window as unknown as { __scripted: ScriptedControl }).__scripted;
      const error = { code: 'EMB-E108' as const, message: 'old checksum failure', details: {} };
      scripted.emit({ type: 'download', progress: { slot: 'E12', phase: 'downloading', bytes: 1_000_000, total: 436_000_000, speedBps: 1e6, etaSeconds: 10, files: [], error: null, retry: null } });
      const base = { id: 'E12' as const, name: 'LateInteraction', state: 'downloading' as const, error, health: 'unknown' as const, pinned: false, preload: false, device: 'cuda:0', estimateBytes: 436_000_000, measuredBytes: null,
        lastUsedAt: null, useCount: 0, loadCount: 0, failures: 1, idleTtlMs: null, loadedAt: null, lastLoadMs: null };
      scripted.emit({ type: 'slot', slot: base });
    });
    await expect.poll(() => card(page, 'E12').getByRole('alert').count()).toBe(0);
    expect(await card(page, 'E12').locator('.slot-download-figures').textContent()).toContain('downloading');
    await page.close();
  });

  it('cards carry no empty band above their buttons', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    const gap = await card(page, 'E2').evaluate((el) => {
      const toggles = el.querySelector('.slot-toggles')?.getBoundingClientRect();
      const actions = el.querySelector('.slot-actions')?.getBoundingClientRect();
      return toggles && actions ? actions.top - toggles.bottom : -1;
    });
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThanOrEqual(12);
    await page.close();
  });
});
