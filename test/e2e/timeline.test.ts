/** The VRAM chart as an annotated timeline: event markers with tooltips and log links, round ticks, GPU history. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedControl } from '../../src/devkit/dashboard/scripted-api.js';
import { SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

describe('annotated VRAM timeline', () => {
  it('opens on the GPU with round GiB ticks, utilisation and temperature history', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    expect(await page.locator('#chart-title').textContent()).toContain('cuda:0');
    const yTicks = async (): Promise<string[]> => (await page.locator('.chart-card .chart-body').first().locator('text').allTextContents()).filter((t) => /^(0|[\d.]+ (GiB|MiB))$/.test(t));
    await expect.poll(yTicks).toEqual(['0', '2 GiB', '4 GiB', '6 GiB', '8 GiB', '10 GiB']);
    const strip = page.getByRole('img', { name: 'Utilisation and temperature of cuda:0' });
    expect(await strip.locator('polyline.gpu-line-util').count()).toBeGreaterThanOrEqual(1);
    expect(await strip.locator('polyline.gpu-line-temp').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('.chart-legend').textContent()).toContain('temperature °C');
    await page.close();
  });

  it('says "Memory history" for the CPU, "VRAM history" for a GPU', async () => {
    const cpuOnly = await dashboard.open({ gpu: 'absent' });
    expect(await cpuOnly.locator('#chart-title').textContent()).toBe('Memory history · last 10 minutes · cpu (RAM)');
    await cpuOnly.close();
    const page = await dashboard.open({ gpu: 'present' });
    expect(await page.locator('#chart-title').textContent()).toBe('VRAM history · last 10 minutes · cuda:0');
    await page.getByRole('group', { name: 'Device shown in the chart' }).getByRole('button', { name: 'cpu' }).click();
    await expect.poll(() => page.locator('#chart-title').textContent()).toBe('Memory history · last 10 minutes · cpu (RAM)');
    await page.close();
  });

  it('load, eviction, download and failure events appear as markers with a tooltip and a link to their log entry', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    const lane = page.getByRole('list', { name: 'Events on the timeline' });
    // The scripted history's own events are already there.
    await expect.poll(() => lane.getByRole('button').count()).toBeGreaterThan(5);
    const before = await lane.getByRole('button').count();
    await page.evaluate(() => {
      const scripted = (window as unknown as { __scripted: ScriptedControl }).__scripted;
      const at = Date.now();
      scripted.emit({ type: 'activity', entry: { at: at - 63_000, kind: 'loaded', slot: 'E2', device: 'cuda:0', message: 'E2 loaded on cuda:0 in 0.6 s (120 MiB measured)' } });
      scripted.emit({ type: 'activity', entry: { at: at - 62_000, kind: 'evicted', slot: 'E8', device: 'cuda:0', reason: 'lru', message: 'E8 evicted: LRU, to make room for E2' } });
      scripted.emit({ type: 'activity', entry: { at: at - 61_000, kind: 'download', slot: 'E4', message: 'E4 download finished (2 files, 121 MB)' } });
    });
    const labels = (): Promise<string> => lane.getByRole('button').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')).join('\n'));
    await expect.poll(labels).toContain('E4 download finished');
    expect(await labels()).toContain('E2 loaded on cuda:0');
    expect(await lane.getByRole('button').count()).toBeLessThanOrEqual(before + 3);
    // Events seconds apart share one marker that lists them all.
    const evict = lane.getByRole('button', { name: /E8 evicted: LRU, to make room for E2/ });
    await evict.hover({ timeout: 60_000 });
    const tip = lane.getByRole('tooltip');
    expect(await tip.textContent()).toContain('E8 evicted: LRU, to make room for E2');
    await page.locator('.chart-card').screenshot({ path: `${SHOTS}/timeline-markers.png` });
    await tip.getByRole('link', { name: /E8 evicted/ }).click({ timeout: 60_000 });
    const target = await page.evaluate(() => decodeURIComponent(location.hash.slice(1)));
    expect(await page.locator(`[id="${target}"]`).textContent()).toContain('E8 evicted: LRU, to make room for E2');
    expect(await page.locator(`[id="${target}"]`).evaluate((el) => el.matches(':target'))).toBe(true);
    await page.close();
  });
});
