/**
 * Lockfiles in the dashboard against the scripted window.modelbay: "Lock layout" saves
 * modelbay.lock.json (a real download in Chromium), "Restore from lockfile…" reads a file,
 * shows per slot what would change and restores on confirmation, and the badge says when
 * the layout drifted from the last lockfile. Screenshots land in test-results/layout-*.png.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLockfile } from '../../src/shared/layouts/layouts.js';
import { calls, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

describe('layout lockfiles in the dashboard', () => {
  it('locks (saving the file), previews and restores a lockfile, and shows the drift badge', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    const panel = page.locator('section.layout-panel');
    await panel.waitFor();
    const download = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Lock layout' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('modelbay.lock.json');
    const saved = join(SHOTS, 'layout-saved.lock.json');
    await file.saveAs(saved);
    const lock = parseLockfile(await readFile(saved, 'utf8'));
    expect(lock.slots.length).toBeGreaterThan(0);
    await expect.poll(() => panel.locator('.badge').textContent()).toContain('matches the lockfile written');

    // The layout drifts: the badge says so, with the differences listed.
    await page.evaluate(() => (window as unknown as { __scripted: { setLayoutDifferences(l: string[]): void } }).__scripted.setLayoutDifferences(['E1 pinned: now false, locked true', 'E8 device: now cpu, locked cuda:0']));
    await expect.poll(() => panel.locator('.badge').textContent()).toBe('differs from the last lockfile (2)');
    expect(await panel.locator('.layout-differences li').allTextContents()).toEqual(['E1 pinned: now false, locked true', 'E8 device: now cpu, locked cuda:0']);
    await panel.screenshot({ path: `${SHOTS}/layout-panel.png` });

    // Restore from the saved file: the preview first, nothing sent until confirmed.
    await panel.getByLabel('Lockfile to restore').setInputFiles(saved);
    const dialog = page.getByRole('dialog', { name: /^Restore layout-saved\.lock\.json/ });
    await dialog.waitFor();
    expect(await dialog.locator('tbody tr').count()).toBe(lock.slots.length);
    expect(await dialog.locator('tbody tr').first().textContent()).toContain('model:');
    await dialog.screenshot({ path: `${SHOTS}/layout-restore-preview.png` });
    expect((await calls(page)).filter((c) => c.command === 'restoreLock')).toEqual([]);
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect.poll(async () => (await calls(page)).filter((c) => c.command === 'restoreLock').length).toBe(1);
    await expect.poll(() => panel.getByRole('list', { name: 'Restore result' }).locator('li').count()).toBe(lock.slots.length);
    await expect.poll(() => panel.locator('.badge').textContent()).toContain('matches the lockfile restored');

    // A file that is not a lockfile: a coded error, no preview.
    const bad = join(SHOTS, 'layout-bad.lock.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(bad, '{"lockfileVersion": 1}'));
    await panel.getByLabel('Lockfile to restore').setInputFiles(bad);
    await expect.poll(() => panel.textContent()).toContain('EMB-E150');
    await panel.screenshot({ path: `${SHOTS}/layout-panel-after.png` });
    await page.close();
  }, 120_000);

  it('the restore preview wraps long repo@commit lines inside the dialog, at 800 px', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await page.setViewportSize({ width: 800, height: 900 });
    const repo = 'a-research-group-with-a-long-name/multilingual-e5-large-instruct-onnx-int8-quantised-avx512';
    const lock = {
      lockfileVersion: 1, createdAt: new Date(0).toISOString(), modelbay: 'test',
      slots: ['E1', 'E2'].map((slot) => ({
        slot, repo, revision: '8b3219a92973f4c1d0e5a6b7c8d9e0f1a2b3c4d5',
        files: [{ path: 'onnx/model_quantized_avx512_vnni.onnx', role: 'model', sha256: 'ab'.repeat(32), size: 1000 }],
        variant: 'int8', pooling: 'mean', dims: 1024, device: 'cuda:0', alias: null, pinned: false, preload: false,
      })),
    };
    const file = join(SHOTS, 'layout-long-names.lock.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, JSON.stringify(lock)));
    const panel = page.locator('section.layout-panel');
    await panel.getByLabel('Lockfile to restore').setInputFiles(file);
    const dialog = page.getByRole('dialog', { name: /^Restore layout-long-names\.lock\.json/ });
    await dialog.waitFor();
    expect(await dialog.locator('tbody').textContent()).toContain(`${repo}@8b3219a92973`);
    // Nothing sticks out of the dialog, and the dialog does not scroll sideways.
    const overflow = await dialog.evaluate((d) => {
      const box = d.getBoundingClientRect();
      const out = [...d.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > box.right + 0.5).map((el) => el.tagName + (el.textContent ?? '').slice(0, 40));
      return { out, scrolls: d.scrollWidth > d.clientWidth + 1, fits: box.right <= window.innerWidth };
    });
    expect(overflow).toEqual({ out: [], scrolls: false, fits: true });
    await dialog.screenshot({ path: `${SHOTS}/layout-restore-long-names-800.png` });
    await page.close();
  });
});

