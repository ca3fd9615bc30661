/**
 * Issue #10 in Chromium: a download started from a slot card can be paused and
 * cancelled while its own command is still in flight, from the card and from the
 * downloads panel; a queued download reads queued and is not counted as active.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedControl } from '../../src/devkit/dashboard/scripted-api.js';
import { calls, card, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;
beforeAll(async () => { dashboard = await startDashboard(); });
afterAll(async () => { await dashboard?.close(); });

describe('download controls in Chromium', () => {
  it('a download started on the slot card pauses from the card and resumes from the panel', async () => {
    const page = await dashboard.open({ gpu: 'present', holdDownloads: true });
    const e4 = card(page, 'E4');
    await e4.getByRole('button', { name: 'Download', exact: true }).click();
    const pause = e4.getByRole('button', { name: 'Pause', exact: true });
    await expect.poll(() => pause.isEnabled()).toBe(true);
    await e4.screenshot({ path: `${SHOTS}/download-card-controls.png` });
    await pause.click();
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'pauseDownload')).toEqual([{ command: 'pauseDownload', input: { slot: 'E4' } }]);
    const row = page.locator('.download-list [data-slot="E4"]');
    await row.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'resumeDownload')).toEqual([{ command: 'resumeDownload', input: { slot: 'E4' } }]);
    await page.close();
  });

  it('queued reads queued and is not counted as active', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await page.evaluate(() => {
      const scripted = (window as unknown as { __scripted: ScriptedControl }).__scripted;
      const file = { slot: 'E4' as const, file: 'onnx/model.onnx', phase: 'queued' as const, bytes: 0, total: null, speedBps: 0, etaSeconds: null, error: null, retry: null };
      scripted.emit({ type: 'download', progress: { slot: 'E4', phase: 'queued', bytes: 0, total: null, speedBps: 0, etaSeconds: null, files: [file], error: null, retry: null } });
    });
    const row = page.locator('.download-list [data-slot="E4"]');
    await expect.poll(() => row.locator('.download-head .phase').textContent()).toBe('queued');
    expect(await row.locator('.download-head .dl-eta').textContent()).toBe('');
    // E6, E7 and E10 run in the scripted app; E4 waits.
    expect(await page.locator('#downloads-title').textContent()).toMatch(/· 3 active · 1 queued$/);
    expect(await row.getByRole('button', { name: 'Pause', exact: true }).isEnabled()).toBe(true);
    await page.locator('.downloads').screenshot({ path: `${SHOTS}/downloads-queued.png` });
    await page.close();
  });
});
