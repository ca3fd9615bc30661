/** A Chromium driven by playwright-core, for dashboard tests and bench:ui (found as `npm test`'s pretest finds it). */
import { chromium, type Browser } from 'playwright-core';
import { findChromium, INSTALL_HINT } from '../../scripts/chromium.mjs';

export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(INSTALL_HINT);
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
