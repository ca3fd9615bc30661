/**
 * Cross-site requests in Chromium. A page on another port of 127.0.0.1 (Jupyter,
 * TensorBoard, a dev server) is the same *site* as the dashboard, so the browser sends
 * the dashboard's SameSite=Strict cookie along with its requests: a no-cors fetch and
 * form posts (text/plain, url-encoded) must all be refused and change nothing, while
 * the dashboard itself keeps working.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppSnapshot as Snapshot } from '../../src/shared/contract/api.js';
import { startServer, type RunningServer } from '../../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../../src/main/server/server-token.js';
import { harness, type Harness } from '../../src/devkit/app/app-harness.js';
import { launchBrowser } from '../../src/devkit/browser.js';

/** What the dashboard's http client sends (src/renderer/src/api/http-client.ts). */
const DASHBOARD_SCRIPT = `
window.pin = async (slot) => {
  const r = await fetch('./api/pin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slot }), credentials: 'same-origin' });
  return { status: r.status, reply: await r.json() };
};
`;

function attackerPage(target: string): string {
  return `<!doctype html><title>another tool on this machine</title>
<form id="plain" method="POST" enctype="text/plain" action="${target}api/updateSettings">
  <input name='{"cacheDir":"/tmp/attacker-cache' value='"}'>
</form>
<form id="urlencoded" method="POST" enctype="application/x-www-form-urlencoded" action="${target}api/clearCache"></form>
<script>
window.noCors = () => fetch('${target}api/pin', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{"slot":"E7"}' }).then(() => 'sent', (e) => String(e));
</script>`;
}

describe('cross-site requests in Chromium', () => {
  let h: Harness;
  let server: RunningServer;
  let attacker: Server;
  let attackerUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let rendererDir: string;
  let token: string;

  beforeAll(async () => {
    h = await harness({ ready: ['E1'] });
    token = loadOrCreateServerToken(h.dir);
    rendererDir = mkdtempSync(join(tmpdir(), 'modelbay-cross-site-'));
    mkdirSync(join(rendererDir, 'assets'));
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Modelbay</title><script src="./assets/page.js"></script>');
    writeFileSync(join(rendererDir, 'assets', 'page.js'), DASHBOARD_SCRIPT);
    server = await startServer({ app: h.app, token, port: 0, rendererDir });
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage(server.url)));
    await new Promise<void>((ok) => attacker.listen(0, '127.0.0.1', ok));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
    browser = await launchBrowser();
    context = await browser.newContext();
    // The user signed in to the dashboard earlier: the browser holds its cookie.
    const page = await context.newPage();
    await page.goto(server.dashboardUrl);
    await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((ok) => attacker?.close(() => ok()));
    await server?.close();
    await h?.close();
    await rm(rendererDir, { recursive: true, force: true });
  });

  const snapshot = async (): Promise<Snapshot> => {
    const res = await fetch(`${server.url}api/getSnapshot`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    return ((await res.json()) as { result: Snapshot }).result;
  };

  it('a no-cors fetch from another port cannot pin a slot', async () => {
    const page = await context.newPage();
    await page.goto(attackerUrl);
    // The page cannot read the answer either way (Cross-Origin-Resource-Policy blocks it once it arrives): the server's state tells.
    await page.evaluate(() => (window as unknown as { noCors: () => Promise<string> }).noCors());
    await page.close();
    expect((await snapshot()).slots.find((s) => s.id === 'E7')?.pinned).toBe(false);
  });

  it('a text/plain form post cannot change the cache folder', async () => {
    const page = await context.newPage();
    await page.goto(attackerUrl);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/updateSettings'));
    await page.evaluate(() => (document.getElementById('plain') as HTMLFormElement).submit());
    expect((await answer).status()).toBe(403);
    expect(await page.textContent('body')).toContain('EMB-E410');
    await page.close();
    expect(h.settings.get().cacheDir).toBeNull();
  });

  it('a url-encoded form post cannot clear the cache', async () => {
    const page = await context.newPage();
    await page.goto(attackerUrl);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/clearCache'));
    await page.evaluate(() => (document.getElementById('urlencoded') as HTMLFormElement).submit());
    expect((await answer).status()).toBe(403);
    await page.close();
    expect((await snapshot()).slots.find((s) => s.id === 'E1')?.state).toBe('ready');
  });

  it('the dashboard, in the same browser, still runs commands', async () => {
    const page = await context.newPage();
    await page.goto(server.url);
    const result = await page.evaluate(() => (window as unknown as { pin: (slot: string) => Promise<unknown> }).pin('E6'));
    expect(result).toMatchObject({ status: 200, reply: { ok: true, result: { id: 'E6', pinned: true } } });
    await page.close();
    expect((await snapshot()).slots.find((s) => s.id === 'E6')?.pinned).toBe(true);
  });
});
