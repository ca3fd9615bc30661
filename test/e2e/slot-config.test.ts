/**
 * The slot configuration dialog in Chromium against the scripted window.modelbay: opened
 * from the keyboard, device and idle time-out, a custom Hub source and back to the
 * catalog default, validation and backend errors on their fields, the loaded-slot lock.
 * Screenshots land in test-results/slot-config*.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, card, SHOTS, startDashboard, type DashboardHarness } from './dashboard-page.js';

let dashboard: DashboardHarness;

beforeAll(async () => {
  dashboard = await startDashboard();
});

afterAll(async () => {
  await dashboard?.close();
});

const dialog = (page: Page) => page.getByRole('dialog', { name: /^Configure/ });

async function openConfig(page: Page, id: string): Promise<void> {
  await card(page, id).getByRole('button', { name: `Configure ${id}`, exact: true }).click();
  await dialog(page).waitFor();
}

async function commandsSent(page: Page, command: string): Promise<unknown[]> {
  return (await calls(page)).filter((c) => c.command === command).map((c) => c.input);
}

describe('slot configuration dialog', () => {
  it('opens from the keyboard, keeps focus inside, and moves the slot to another device with an idle time-out', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    const configure = card(page, 'E2').getByRole('button', { name: 'Configure E2', exact: true });
    await configure.focus();
    await page.keyboard.press('Enter');
    await dialog(page).waitFor();
    expect(await dialog(page).getByRole('heading').textContent()).toContain('Configure E2');
    // Tab cycles inside the modal dialog, never reaching the page behind it.
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
    }
    const device = dialog(page).getByLabel('Device', { exact: true });
    expect(await device.locator('option').allTextContents()).toEqual(['cuda:0', 'cpu']);
    await device.selectOption('cpu');
    await dialog(page).getByLabel('Unload when idle for (minutes)').fill('30');
    expect(await dialog(page).textContent()).toContain('Empty: the global default (10 min)');
    await page.screenshot({ path: `${SHOTS}/slot-config-device.png` });
    await dialog(page).getByLabel('Unload when idle for (minutes)').press('Enter');
    await expect.poll(() => dialog(page).isVisible()).toBe(false);
    expect(await commandsSent(page, 'setIdleTtl')).toEqual([{ slot: 'E2', ttlMs: 1_800_000 }]);
    expect(await commandsSent(page, 'setDevice')).toEqual([{ slot: 'E2', device: 'cpu' }]);
    // Nothing about the source changed, so it is not sent.
    expect(await commandsSent(page, 'setSlotSource')).toEqual([]);
    await expect.poll(() => card(page, 'E2').locator('.slot-facts div', { hasText: 'Device' }).locator('dd').textContent()).toBe('cpu');
    // The browser hands focus back to the button that opened the dialog.
    expect(await configure.evaluate((el) => el === document.activeElement)).toBe(true);
    // Opened again, the form starts from the saved values.
    await page.keyboard.press('Enter');
    await dialog(page).waitFor();
    expect(await dialog(page).getByLabel('Device', { exact: true }).inputValue()).toBe('cpu');
    expect(await dialog(page).getByLabel('Unload when idle for (minutes)').inputValue()).toBe('30');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog(page).isVisible()).toBe(false);
    await page.close();
  });

  it('a custom Hub source is sent whole; the card shows the new repo and turns missing until downloaded', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await openConfig(page, 'E2');
    const d = dialog(page);
    // The form opens on the model the slot uses now.
    expect(await d.getByLabel('Repository').inputValue()).toBe('Xenova/jina-embeddings-v2-small-en');
    expect(await d.textContent()).toContain('catalog default');
    await d.getByLabel('Repository').fill('acme/e5-mistral-onnx');
    await d.getByLabel('Revision').fill('v1.2');
    await d.getByLabel('Model file').fill('onnx/model_fp16.onnx');
    await d.getByLabel('External data files').fill('onnx/model_fp16.onnx_data\n');
    await d.getByLabel('Pooling').selectOption('cls');
    await d.getByLabel('Dimensions').fill('1024');
    await page.screenshot({ path: `${SHOTS}/slot-config-source.png` });
    await d.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => d.isVisible()).toBe(false);
    expect(await commandsSent(page, 'setSlotSource')).toEqual([
      {
        slot: 'E2',
        source: { repo: 'acme/e5-mistral-onnx', revision: 'v1.2', model: 'onnx/model_fp16.onnx', externalData: ['onnx/model_fp16.onnx_data'], tokenizer: 'tokenizer.json', pooling: 'cls', dims: 1024 },
      },
    ]);
    expect(await commandsSent(page, 'setDevice')).toEqual([]);
    await expect.poll(() => card(page, 'E2').locator('.repo').textContent()).toBe('acme/e5-mistral-onnx');
    await expect.poll(() => card(page, 'E2').locator('.slot-model').textContent()).toContain('your model');
    await expect.poll(() => card(page, 'E2').locator('.state-badge').getAttribute('data-state')).toBe('missing');
    expect(await card(page, 'E2').getByRole('button', { name: 'Download', exact: true }).isEnabled()).toBe(true);
    // Its files have no known size until resolved on the Hub: the summary says the total is a lower bound.
    await expect.poll(() => page.locator('.readiness-summary').textContent()).toMatch(/^4\/13 ready · ≥ [\d.]+ GB missing · 1 of 13 slots has an unknown size$/);
    expect(await page.locator('.readiness-summary').getAttribute('title')).toMatch(/resolved on the Hub/);
    const panel = page.locator('.readiness');
    expect(await panel.locator('.readiness-unknown').getAttribute('title')).toMatch(/^1 slot has missing files whose size is not known/);
    expect(await panel.locator('tr', { hasText: 'E2' }).locator('td.right').textContent()).toBe('0 B / unknown');
    await page.screenshot({ path: `${SHOTS}/slot-config-after.png` });
    await panel.screenshot({ path: `${SHOTS}/slot-config-readiness.png` });
    await page.close();
  });

  it('an invalid repository is refused on its field before anything is sent', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await openConfig(page, 'E5');
    const d = dialog(page);
    expect(await d.textContent()).toContain('no default model — choose one');
    await d.getByLabel('Repository').fill('just-a-name');
    await d.getByLabel('Model file').fill('../model.onnx');
    await d.getByRole('button', { name: 'Save', exact: true }).click();
    const repoError = d.locator('#config-repo-error');
    expect(await repoError.textContent()).toBe('EMB-E002 a repository is "owner/name"');
    expect(await d.locator('#config-model-error').textContent()).toContain('must be relative');
    expect(await d.getByLabel('Repository').getAttribute('aria-invalid')).toBe('true');
    expect(await d.getByLabel('Repository').getAttribute('aria-describedby')).toBe('config-repo-error');
    expect(await commandsSent(page, 'setSlotSource')).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/slot-config-invalid.png` });
    // Corrected, it goes through; an empty revision means main.
    await d.getByLabel('Repository').fill('allenai/longformer-onnx');
    await d.getByLabel('Revision').fill('');
    await d.getByLabel('Model file').fill('model.onnx');
    await d.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => commandsSent(page, 'setSlotSource')).toEqual([
      { slot: 'E5', source: { repo: 'allenai/longformer-onnx', revision: 'main', model: 'model.onnx', externalData: [], tokenizer: 'tokenizer.json', pooling: 'mean', dims: null } },
    ]);
    await expect.poll(() => card(page, 'E5').locator('.repo').textContent()).toBe('allenai/longformer-onnx');
    await page.close();
  });

  it('Restore catalog default sends null and the form and card go back to the catalog model', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await openConfig(page, 'E4');
    const d = dialog(page);
    const restore = d.getByRole('button', { name: 'Restore catalog default', exact: true });
    expect(await restore.isDisabled()).toBe(true);
    await d.getByLabel('Repository').fill('me/own-model');
    await d.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => card(page, 'E4').locator('.repo').textContent()).toBe('me/own-model');
    await openConfig(page, 'E4');
    expect(await d.textContent()).toContain('your model');
    expect(await d.getByLabel('Repository').inputValue()).toBe('me/own-model');
    await restore.click();
    await expect.poll(() => commandsSent(page, 'setSlotSource')).toHaveLength(2);
    expect((await commandsSent(page, 'setSlotSource'))[1]).toEqual({ slot: 'E4', source: null });
    await expect.poll(() => d.getByLabel('Repository').inputValue()).toBe('Xenova/jina-embeddings-v2-small-en');
    expect(await d.textContent()).toContain('catalog default');
    await expect.poll(() => card(page, 'E4').locator('.repo').textContent()).toBe('Xenova/jina-embeddings-v2-small-en');
    expect(await card(page, 'E4').locator('.slot-model').textContent()).not.toContain('your model');
    // Saving now changes nothing more.
    await d.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => d.isVisible()).toBe(false);
    expect(await commandsSent(page, 'setSlotSource')).toHaveLength(2);
    await page.close();
  });

  it('a loaded slot cannot move or change its model, and says why; its idle time-out can still change', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await openConfig(page, 'E1');
    const d = dialog(page);
    const device = d.getByLabel('Device', { exact: true });
    expect(await device.isDisabled()).toBe(true);
    expect(await d.locator('#config-device-hint').textContent()).toBe('E1 is loaded: evict it first, then move it.');
    expect(await device.getAttribute('aria-describedby')).toBe('config-device-hint');
    expect(await d.getByLabel('Repository').isDisabled()).toBe(true);
    expect(await d.getByRole('note').textContent()).toBe('E1 is loaded: evict it first, then change its model.');
    expect(await d.getByLabel('Unload when idle for (minutes)').isDisabled()).toBe(false);
    await page.screenshot({ path: `${SHOTS}/slot-config-loaded.png` });
    await page.keyboard.press('Escape');
    await expect.poll(() => d.isVisible()).toBe(false);
    expect((await calls(page)).filter((c) => c.command.startsWith('set'))).toEqual([]);
    await page.close();
  });

  it('a backend refusal shows its code on the field it concerns (dark scheme)', async () => {
    const page = await dashboard.open({
      gpu: 'present',
      failures: {
        setSlotSource: {
          code: 'EMB-E401',
          message: 'Invalid input for setSlotSource: source.model: a repository path must be relative and stay inside the repository.',
          details: { command: 'setSlotSource', issues: [{ path: 'source.model', message: 'a repository path must be relative and stay inside the repository' }] },
        },
      },
    }, 'dark');
    await openConfig(page, 'E4');
    const d = dialog(page);
    await d.getByLabel('Repository').fill('me/own-model');
    await d.getByRole('button', { name: 'Save', exact: true }).click();
    const modelError = d.locator('#config-model-error');
    await modelError.waitFor();
    expect(await modelError.textContent()).toBe('EMB-E401 a repository path must be relative and stay inside the repository');
    expect(await d.isVisible()).toBe(true);
    expect(await card(page, 'E4').locator('.repo').textContent()).toBe('Xenova/jina-embeddings-v2-small-en');
    await page.screenshot({ path: `${SHOTS}/slot-config-backend-error-dark.png` });
    await page.close();
  });

  it('gives a slot an alias shown on its card; a taken alias shows EMB-E021 on the field; an invalid one is refused before sending', async () => {
    const page = await dashboard.open({ gpu: 'present' });
    await openConfig(page, 'E2');
    const alias = dialog(page).getByLabel('Alias', { exact: true });
    await alias.fill('Jina Small');
    await dialog(page).getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => dialog(page).locator('#config-alias-error').textContent()).toContain('lower-case');
    expect(await commandsSent(page, 'setAlias')).toEqual([]);
    await alias.fill('jina-small');
    await dialog(page).getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => commandsSent(page, 'setAlias')).toEqual([{ slot: 'E2', alias: 'jina-small' }]);
    await expect.poll(() => card(page, 'E2').locator('.slot-alias').textContent()).toBe('jina-small');
    await page.keyboard.press('Escape');
    await card(page, 'E2').screenshot({ path: `${SHOTS}/slot-alias-card.png` });

    await openConfig(page, 'E3');
    await dialog(page).getByLabel('Alias', { exact: true }).fill('jina-small');
    await dialog(page).getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => dialog(page).locator('#config-alias-error').textContent()).toContain('already the alias of E2');
    expect(await dialog(page).textContent()).toContain('EMB-E021');
    await page.close();
  });
});

