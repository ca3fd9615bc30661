/**
 * The built dashboard in Chromium against a scripted window.modelbay: what renders,
 * what the buttons send, how errors and the no-GPU case read, light and dark, keyboard.
 * Screenshots land in test-results/ for people to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOT_IDS } from '../../src/shared/slots/slots.js';
import type { ScriptedControl } from '../../src/devkit/dashboard/scripted-api.js';
import { calls, card, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

const open: DashboardHarness['open'] = (options, colorScheme) => dashboard.open(options, colorScheme);

describe('dashboard in Chromium', () => {
  it('renders the 13 slot cards in order, the GPU, the gauges and the readiness summary', async () => {
    const page = await open({ gpu: 'present' });
    expect(await page.locator('.slot-grid [data-slot]').evaluateAll((els) => els.map((e) => e.getAttribute('data-slot')))).toEqual([...SLOT_IDS]);
    await expect.poll(() => page.locator('.gpu-name').textContent()).toBe('NVIDIA GeForce RTX 4080 SUPER');
    expect(await page.locator('.readiness-summary').textContent()).toMatch(/^5\/13 ready · [\d.]+ GB missing$/);
    expect(await page.locator('.gauge .level-pill').first().textContent()).toContain('Low');
    // The 4080's fan is not reported: a dash with the reason, never 0.
    const fan = page.locator('.gpu-figures div', { hasText: 'Fan' }).locator('.unknown');
    expect(await fan.getAttribute('title')).toBe('not reported by nvidia-smi');
    expect(await card(page, 'E5').textContent()).toContain('no default model — choose one');
    expect(await card(page, 'E2').textContent()).toContain('stand-in');
    await page.screenshot({ path: `${SHOTS}/dashboard-light.png`, fullPage: true });
    await page.screenshot({ path: `${SHOTS}/dashboard-light-window.png` });
    // The chart follows the device selector: the CPU holds only E11.
    expect(await page.locator('.chart-legend').textContent()).toContain('E1');
    await page.getByRole('group', { name: 'Device shown in the chart' }).getByRole('button', { name: 'cpu', exact: true }).click();
    await expect.poll(() => page.locator('.chart-legend li').first().textContent()).toContain('E11');
    expect(await page.locator('#chart-title').textContent()).toContain('cpu');
    await page.close();
  });

  it('Load calls the api and the card follows the events to loaded', async () => {
    const page = await open({ gpu: 'present', loadMs: 100 });
    await card(page, 'E2').getByRole('button', { name: 'Load', exact: true }).click();
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'load')).toEqual([{ command: 'load', input: { slot: 'E2' } }]);
    await expect.poll(() => card(page, 'E2').locator('.state-badge').getAttribute('data-state')).toBe('loaded');
    expect(await card(page, 'E2').getByRole('button', { name: 'Evict', exact: true }).isEnabled()).toBe(true);
    expect(await card(page, 'E4').getByRole('button', { name: 'Load', exact: true }).isEnabled()).toBe(false);
    await page.close();
  });

  it('a rejected command shows its code and explanation on the slot card', async () => {
    const page = await open({
      gpu: 'present',
      failures: { load: { code: 'EMB-E003', message: 'E2 needs 120 MB; 40 MB available of 8 GiB (7.96 GiB allocated, 12/13 loaded).', details: {} } },
    });
    await card(page, 'E2').getByRole('button', { name: 'Load', exact: true }).click();
    const notice = card(page, 'E2').getByRole('alert');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('EMB-E003');
    expect(await notice.textContent()).toContain('does not fit in the memory budget');
    // The gated slot's own error from the snapshot reads the same way.
    expect(await card(page, 'E13').getByRole('alert').textContent()).toContain('set a Hugging Face token in Settings');
    await page.close();
  });

  it('evicting a pinned slot asks first, then sends force', async () => {
    const page = await open({ gpu: 'present' });
    await card(page, 'E1').getByRole('button', { name: 'Evict', exact: true }).click();
    expect((await calls(page)).some((c) => c.command === 'evict')).toBe(false);
    await card(page, 'E1').getByRole('button', { name: 'Evict anyway', exact: true }).click();
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'evict')).toEqual([{ command: 'evict', input: { slot: 'E1', force: true } }]);
    await page.close();
  });

  it('downloads: pause, resume and cancel reach the api; the event log filters by kind', async () => {
    const page = await open({ gpu: 'present' });
    const row = page.locator('.download-list [data-slot="E6"]');
    expect(await row.locator('[role="progressbar"]').first().getAttribute('aria-valuenow')).toBe('42');
    await row.getByRole('button', { name: 'Pause', exact: true }).click();
    await row.getByRole('button', { name: 'Resume', exact: true }).click();
    await row.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect
      .poll(async () => (await calls(page)).map((c) => c.command).filter((c) => c.endsWith('Download')))
      .toEqual(['pauseDownload', 'resumeDownload', 'cancelDownload']);
    await expect.poll(() => row.count()).toBe(0);
    await page.getByLabel('Event kinds shown').selectOption('evicted');
    const lines = await page.locator('.log-row .log-message').allTextContents();
    expect(lines).toEqual(['E12 evicted: idle for 10 min', 'E8 evicted: LRU, budget Critical 96 %']);
    await page.close();
  });

  it('a failed download offers Retry, which resumes it', async () => {
    const page = await open({ gpu: 'present' });
    await page.evaluate(() => {
      const scripted = (window as unknown as { __scripted: ScriptedControl }).__scripted;
      const error = { code: 'EMB-E107' as const, message: 'The Hub could not be reached.', details: {} };
      const file = { slot: 'E7' as const, file: 'onnx/model.onnx', phase: 'failed' as const, bytes: 0, total: null, speedBps: 0, etaSeconds: null, error, retry: null };
      scripted.emit({ type: 'download', progress: { slot: 'E7', phase: 'failed', bytes: 51_200_000, total: 640_711_396, speedBps: 0, etaSeconds: null, files: [file], error, retry: null } });
    });
    const row = page.locator('.download-list [data-slot="E7"]');
    // A failed file of unknown size shows an empty bar, not the moving stripe of a running one.
    expect(await row.locator('.download-file .progress').getAttribute('class')).toBe('progress tone-accent');
    await row.getByRole('button', { name: 'Retry', exact: true }).click();
    expect(await row.getByRole('button', { name: 'Resume', exact: true }).count()).toBe(0);
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'resumeDownload')).toEqual([{ command: 'resumeDownload', input: { slot: 'E7' } }]);
    await page.close();
  });

  it('a retrying download says when it tries again, which attempt, and why', async () => {
    const page = await open({ gpu: 'present' });
    await page.evaluate(() => {
      const scripted = (window as unknown as { __scripted: ScriptedControl }).__scripted;
      const retry = { attempt: 3, of: 6, code: 'EMB-E107' as const, message: 'The Hub could not be reached.', nextAt: Date.now() + 4500 };
      const file = { slot: 'E7' as const, file: 'onnx/model.onnx', phase: 'downloading' as const, bytes: 0, total: 640_711_396, speedBps: 0, etaSeconds: null, error: null, retry };
      scripted.emit({ type: 'download', progress: { slot: 'E7', phase: 'downloading', bytes: 0, total: 640_711_396, speedBps: 0, etaSeconds: null, files: [file], error: null, retry } });
    });
    const row = page.locator('.download-list [data-slot="E7"]');
    expect(await row.locator('.download-head .phase').textContent()).toBe('retrying');
    expect(await row.locator('.retry-note').textContent()).toMatch(/^retrying in [1-5] s \(attempt 3 of 6\) — EMB-E107 The Hub could not be reached\.$/);
    await row.screenshot({ path: `${SHOTS}/dashboard-retrying.png` });
    const e7 = card(page, 'E7');
    expect(await e7.locator('.slot-download-figures').textContent()).toContain('· retrying');
    expect(await e7.locator('.retry-note').textContent()).toMatch(/^retrying in [1-5] s \(attempt 3 of 6\) — EMB-E107/);
    await e7.screenshot({ path: `${SHOTS}/dashboard-retrying-card.png` });
    await page.close();
  });

  it('without a GPU shows the CPU card with the reason', async () => {
    const page = await open({ gpu: 'absent' });
    const none = page.getByRole('article', { name: 'No NVIDIA GPU' });
    expect(await none.locator('h3').textContent()).toBe('No NVIDIA GPU — running on CPU');
    expect(await none.textContent()).toContain('nvidia-smi was not found');
    await page.screenshot({ path: `${SHOTS}/dashboard-no-gpu.png`, fullPage: true });
    await page.close();
  });

  it('a lost driver is titled as what happened, not "no GPU"', async () => {
    const page = await open({ gpu: 'driver-lost' });
    const card = page.getByRole('article', { name: 'NVIDIA driver not reachable — retrying' });
    expect(await card.locator('h3').textContent()).toBe('NVIDIA driver not reachable — retrying');
    expect(await card.textContent()).toContain('EMB-E304');
    await card.screenshot({ path: `${SHOTS}/dashboard-driver-lost.png` });
    await page.close();
  });

  it('follows the dark colour scheme', async () => {
    const page = await open({ gpu: 'present' }, 'dark');
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
    expect((r ?? 255) + (g ?? 255) + (b ?? 255)).toBeLessThan(120);
    await page.screenshot({ path: `${SHOTS}/dashboard-dark.png`, fullPage: true });
    await page.close();
  });

  it('keyboard: Tab reaches the slot buttons with a visible focus ring', async () => {
    const page = await open({ gpu: 'present' });
    let reached: { slot: string | null; outline: string } | null = null;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => {
        const el = document.activeElement;
        const slot = el?.closest('.slot-grid [data-slot]');
        if (!el || el.tagName !== 'BUTTON' || !slot) return null;
        const style = getComputedStyle(el);
        return { slot: slot.getAttribute('data-slot'), outline: `${style.outlineStyle} ${style.outlineWidth}` };
      });
    }
    expect(reached?.slot).toMatch(/^E\d+$/);
    expect(reached?.outline).toBe('solid 2px');
    await page.close();
  });

  it('settings: a modal dialog with validation codes, closed by Escape', async () => {
    const page = await open({ gpu: 'present' });
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('token set');
    expect(await dialog.textContent()).not.toContain('hf_');
    await page.getByLabel('Low below (%)').fill('90');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    expect(await dialog.locator('.field-error').first().textContent()).toContain('EMB-E406');
    expect((await calls(page)).some((c) => c.command === 'updateSettings')).toBe(false);
    await page.getByLabel('Low below (%)').fill('40');
    await page.getByLabel('GPU budget (GiB)').fill('6');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await calls(page)).find((c) => c.command === 'updateSettings')?.input).toMatchObject({ gpuBudgetBytes: 6 * 1024 ** 3, thresholds: { low: 0.4 } });
    await page.screenshot({ path: `${SHOTS}/settings.png` });
    // Validating settings must not trip the CSP (zod probes eval unless told not to).
    expect(dashboard.consoleErrors(page)).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await page.close();
  });
});
