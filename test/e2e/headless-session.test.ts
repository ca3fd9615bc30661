/**
 * The headless server in a real browser (Debian's Chromium through playwright-core):
 * the printed URL's token becomes an HttpOnly cookie the page cannot read, commands and
 * the event stream then work from the page with no token in sight, and the CSP blocks
 * inline scripts.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../../src/devkit/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../../src/main/server/server-token.js';
import { harness, type Harness } from '../../src/devkit/app/app-harness.js';


const PAGE_SCRIPT = `
window.results = (async () => {
  const r = await fetch('./api/pin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"slot":"E6"}' });
  const reply = await r.json();
  const events = await new Promise((resolve) => {
    const got = [];
    const es = new EventSource('./api/events');
    es.onmessage = (e) => { got.push(JSON.parse(e.data)); if (got.length >= 1) { es.close(); resolve(got); } };
    es.onerror = () => { es.close(); resolve([{ type: 'error' }]); };
  });
  return { status: r.status, reply, first: events[0].type, pinnedInSnapshot: events[0].snapshot.slots.find((s) => s.id === 'E6').pinned, cookie: document.cookie, inline: window.inlineRan === true };
})();
`;

describe('headless dashboard session in Chromium', () => {
  let h: Harness;
  let server: RunningServer;
  let browser: Browser;
  let rendererDir: string;

  beforeAll(async () => {
    h = await harness();
    rendererDir = mkdtempSync(join(tmpdir(), 'modelbay-session-'));
    mkdirSync(join(rendererDir, 'assets'));
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Modelbay</title><script>window.inlineRan = true</script><script src="./assets/page.js"></script>');
    writeFileSync(join(rendererDir, 'assets', 'page.js'), PAGE_SCRIPT);
    server = await startServer({ app: h.app, token: loadOrCreateServerToken(h.dir), port: 0, rendererDir });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h?.close();
    await rm(rendererDir, { recursive: true, force: true });
  });

  it('the printed URL signs the page in; the token leaves the address bar and is invisible to scripts', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && m.text().includes('Content Security Policy')) violations.push(m.text());
    });
    await page.goto(server.dashboardUrl);
    expect(page.url()).toBe(server.url);
    const results = await page.evaluate(() => (window as unknown as { results: Promise<Record<string, unknown>> }).results);
    expect(results).toMatchObject({ status: 200, reply: { ok: true, result: { id: 'E6', pinned: true } }, first: 'snapshot', pinnedInSnapshot: true, cookie: '', inline: false });
    expect(violations.length).toBeGreaterThan(0);
    await page.close();
  });

  it('a browser without the cookie gets 401 for the page and the API', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(server.url);
    expect(res?.status()).toBe(401);
    const api = await page.evaluate(async () => (await fetch('./api/getSnapshot', { method: 'POST', body: '{}' })).status);
    expect(api).toBe(401);
    await context.close();
  });
});
