/** Health and usage on the slot card: collapsed by default, figures when opened, a probe on demand. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, card, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

describe('slot health', () => {
  it('is collapsed on the card, shows latency, texts and the last error when opened, and probes a loaded slot', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    const health = card(page, 'E8').locator('details.slot-health');
    await expect.poll(() => health.locator('summary').textContent()).toBe('Health: degraded · 96 uses');
    expect(await health.getAttribute('open')).toBeNull();
    // The Hub's main moved past E8's commit: the card says so, with the download size.
    expect(await card(page, 'E8').locator('.slot-update').textContent()).toBe('update · 90.9 MB');
    expect(await card(page, 'E1').locator('.slot-update').count()).toBe(0);
    expect(await health.locator('.health-facts').isVisible()).toBe(false);
    await health.locator('summary').click();
    expect(await health.locator('.health-facts').textContent()).toContain('6.8 ms · 12.4 ms');
    expect(await health.locator('.health-facts').textContent()).toContain('3,072');
    expect(await health.locator('.health-facts').textContent()).toContain('2 (1 in a row)');
    expect(await health.locator('.health-error').textContent()).toContain('EMB-E207');
    await card(page, 'E8').screenshot({ path: `${SHOTS}/slot-health.png` });
    await health.getByRole('button', { name: 'Probe', exact: true }).click();
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'probe')).toEqual([{ command: 'probe', input: { slot: 'E8' } }]);
    await expect.poll(() => health.locator('summary').textContent()).toBe('Health: healthy · 96 uses');
    expect(await health.locator('.health-probe').textContent()).toContain('Probe passed just now (8.4 ms)');
    // A slot that is not loaded cannot be probed (a probe never loads a model).
    const e2 = card(page, 'E2').locator('details.slot-health');
    await e2.locator('summary').click();
    expect(await e2.getByRole('button', { name: 'Probe', exact: true }).isDisabled()).toBe(true);
    await page.close();
  });
});
