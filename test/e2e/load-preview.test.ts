/** Load shows what it would do before the click: evictions in LRU order, the pressure after, or the refusal. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadPreview } from '../../src/shared/slots/load-preview.js';
import { calls, card, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

const MiB = 1024 * 1024;
let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

const evicting: LoadPreview = {
  slot: 'E2', device: 'cuda:0', estimateBytes: 6 * 1024 * MiB, alreadyLoaded: false,
  evicts: [{ slot: 'E8', bytes: 214 * MiB }, { slot: 'E3', bytes: 420 * MiB }], freedBytes: 634 * MiB,
  after: { allocatedBytes: 7846 * MiB, budgetBytes: 8192 * MiB, ratio: 7846 / 8192, level: 'Critical' }, error: null,
};

describe('load preview', () => {
  it('hovering Load shows the evictions it would make, before anything is sent', async () => {
    const page = await dashboard.open({ gpu: 'present', previews: { E2: evicting } });
    const load = card(page, 'E2').getByRole('button', { name: 'Load', exact: true });
    await load.hover();
    const tip = card(page, 'E2').getByRole('tooltip');
    await expect.poll(() => tip.textContent()).toContain('Evicts E8 (214 MiB), E3 (420 MiB) — least recently used first; pinned slots are kept.');
    expect(await tip.textContent()).toContain('cuda:0 after: 7.66 GiB of 8.00 GiB (96 %) · Critical');
    expect(await load.getAttribute('aria-describedby')).toBe(await tip.getAttribute('id'));
    // Only the preview was asked: nothing loaded, and the card is not marked busy.
    // (layoutStatus is the layout panel reading whether the layout differs from its lockfile.)
    expect((await calls(page)).map((c) => c.command).filter((c) => c !== 'layoutStatus')).toEqual(['previewLoad']);
    expect(await card(page, 'E2').getAttribute('aria-busy')).toBe('false');
    await card(page, 'E2').screenshot({ path: `${SHOTS}/load-preview-evicts.png` });
    await page.mouse.move(0, 0);
    await expect.poll(() => tip.count()).toBe(0);
    await page.close();
  });

  it('focus shows it too; a load that cannot fit names the EMB-E003 it would meet', async () => {
    const refused: LoadPreview = { ...evicting, evicts: [], freedBytes: 0, after: null, error: { code: 'EMB-E003', message: 'E2 needs 6.00 GiB on cuda:0 but only 1.06 GiB is available.', details: {} } };
    const page = await dashboard.open({ gpu: 'present', previews: { E2: refused } }, 'dark');
    await card(page, 'E2').getByRole('button', { name: 'Load', exact: true }).focus();
    const tip = card(page, 'E2').getByRole('tooltip');
    await expect.poll(() => tip.textContent()).toContain('Would fail: EMB-E003 E2 needs 6.00 GiB');
    await card(page, 'E2').screenshot({ path: `${SHOTS}/load-preview-refused-dark.png` });
    await page.close();
  });
});
