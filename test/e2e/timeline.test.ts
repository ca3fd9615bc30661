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

  it('markers crowded at the right edge never overlap, at 1440 and at 800 px', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await page.evaluate(() => {
      const scripted = (window as unknown as { __scripted: ScriptedControl }).__scripted;
      // History keeps coming, as from a live App, so the window's right edge follows the clock.
      scripted.startStream({ gpuHz: 1, downloadHz: 1, historyHz: 1 });
      const at = Date.now();
      const kinds = ['loaded', 'evicted', 'unloaded', 'load-failed'] as const;
      // A burst of events over the last 45 s, up to the chart's right edge.
      for (let i = 0; i < 18; i++) {
        const kind = kinds[i % kinds.length] as (typeof kinds)[number];
        scripted.emit({ type: 'activity', entry: { at: at - 44_000 + i * 2_500, kind, slot: 'E2', device: 'cuda:0', message: `crowd ${i} E2 ${kind}` } });
      }
    });
    const lane = page.getByRole('list', { name: 'Events on the timeline' });
    await expect.poll(() => lane.getByRole('button').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')).join('\n'))).toContain('crowd 17');
    /** Each marker's box with its count badge, in page pixels. */
    const boxes = (): Promise<Array<{ left: number; right: number }>> => lane.locator('li.marker').evaluateAll((els) => els.map((li) => {
      const parts = [li.querySelector('.marker-dot'), li.querySelector('.marker-count')].filter((e): e is Element => e !== null).map((e) => e.getBoundingClientRect());
      return { left: Math.min(...parts.map((r) => r.left)), right: Math.max(...parts.map((r) => r.right)) };
    }));
    for (const width of [1440, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await expect.poll(async () => {
        const sorted = (await boxes()).sort((a, b) => a.left - b.left);
        return sorted.filter((b, i) => i > 0 && b.left < (sorted[i - 1]?.right ?? -Infinity) - 0.5).length;
      }, { message: `overlapping markers at ${width} px` }).toBe(0);
      // Every crowded event is still reachable through some marker.
      const labels = await lane.getByRole('button').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')).join('\n'));
      for (let i = 0; i < 18; i++) expect(labels).toContain(`crowd ${i} E2`);
      await page.locator('.chart-card').screenshot({ path: `${SHOTS}/timeline-crowded-${width}.png` });
    }
    await page.close();
  });
});
