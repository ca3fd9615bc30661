/**
 * The built dashboard in Chromium against the scripted window.modelbay, for the browser
 * tests: build and serve once, then open pages that fail on any page error.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { scriptedApiScript, type ScriptedApiOptions, type ScriptedControl } from '../../src/devkit/dashboard/scripted-api.js';
import { launchBrowser } from '../../src/devkit/browser.js';
import { buildRenderer, serveStatic } from '../../src/devkit/renderer-build.js';

/** Screenshots for people to look at. */
export const SHOTS = resolve(import.meta.dirname, '../../test-results');

export interface DashboardHarness {
  open(options: ScriptedApiOptions, colorScheme?: 'light' | 'dark'): Promise<Page>;
  /** Console errors and warnings of a page opened here. */
  consoleErrors(page: Page): string[];
  close(): Promise<void>;
}

export async function startDashboard(): Promise<DashboardHarness> {
  const built = await buildRenderer();
  const server = await serveStatic(built.dir);
  const browser: Browser = await launchBrowser();
  await mkdir(SHOTS, { recursive: true });
  const consoles = new WeakMap<Page, string[]>();
  return {
    async open(options, colorScheme = 'light') {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const console: string[] = [];
      consoles.set(page, console);
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') console.push(m.text());
      });
      await page.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { __csp: string[] }).__csp = seen;
        document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`));
      });
      await page.addInitScript(scriptedApiScript(options));
      await page.goto(server.url);
      await page.locator('[data-slot="E13"] .slot-name').waitFor();
      expect(errors).toEqual([]);
      return page;
    },
    consoleErrors: (page) => consoles.get(page) ?? [],
    async close() {
      await browser.close();
      await server.close();
      await built.cleanup();
    },
  };
}

/** The commands the page sent, in order. */
export function calls(page: Page): Promise<ScriptedControl['calls']> {
  return page.evaluate(() => (window as unknown as { __scripted: ScriptedControl }).__scripted.calls);
}

export const card = (page: Page, id: string): Locator => page.locator(`.slot-grid [data-slot="${id}"]`);
