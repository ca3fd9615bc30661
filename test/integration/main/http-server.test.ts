import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_COMMAND_BYTES, type AppEvent, type CommandReply } from '../../../src/shared/contract/api.js';
import { startServer, type RunningServer } from '../../../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../../../src/main/server/server-token.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';
import { send, type Answer } from './send-request.js';

/** Reads SSE `data:` events until `count` have arrived, then disconnects. */
function readEvents(port: number, headers: Record<string, string>, count: number, onOpen?: () => void): Promise<AppEvent[]> {
  return new Promise((resolve, reject) => {
    const events: AppEvent[] = [];
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/events', headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`status ${res.statusCode}`));
        return;
      }
      let buffer = '';
      let opened = false;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buffer += c;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!data) continue;
          events.push(JSON.parse(data) as AppEvent);
          if (!opened) {
            opened = true;
            onOpen?.();
          }
          if (events.length >= count) {
            req.destroy();
            resolve(events);
            return;
          }
        }
      });
    });
    req.on('error', (e) => {
      if (events.length < count) reject(e);
    });
    req.end();
  });
}

describe('headless HTTP server', () => {
  let h: Harness;
  let server: RunningServer;
  let token: string;
  let rendererDir: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    h = await harness({ ready: ['E1'] });
    token = loadOrCreateServerToken(h.dir);
    rendererDir = mkdtempSync(join(tmpdir(), 'modelbay-renderer-'));
    mkdirSync(join(rendererDir, 'assets'));
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Modelbay</title>');
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(h.dir, 'secret.txt'), 'TOP-SECRET-CONTENT');
    server = await startServer({ app: h.app, token, port: 0, rendererDir });
    auth = { authorization: `Bearer ${token}` };
  });

  afterAll(async () => {
    await server.close();
    await h.close();
    await rm(rendererDir, { recursive: true, force: true });
  });

  it('the token is random, kept 0600 in the data folder, and reused', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(h.dir, 'server-token')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateServerToken(h.dir)).toBe(token);
    expect(server.dashboardUrl).toBe(`http://127.0.0.1:${server.port}/?token=${token}`);
  });

  it('requests without the token are 401 EMB-E402; a wrong token too', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { cookie: `modelbay_token_${server.port}=wrong` }];
    for (const headers of attempts) {
      const res = await send(server.port, { method: 'POST', path: '/api/getSnapshot', headers, body: '{}' });
      expect(res.status).toBe(401);
      expect((JSON.parse(res.body) as CommandReply).ok).toBe(false);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'EMB-E402' } });
    }
    expect((await send(server.port, { path: '/' })).status).toBe(401);
    expect((await send(server.port, { path: '/?token=nope' })).status).toBe(401);
  });

  it('a foreign Host header is refused with 403 EMB-E403, even with the token', async () => {
    for (const host of ['evil.example:' + server.port, `127.0.0.1:${server.port + 1}`, 'localhost', `attacker.localhost.example:${server.port}`]) {
      const res = await send(server.port, { method: 'POST', path: '/api/getSnapshot', headers: { ...auth, host }, body: '{}' });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'EMB-E403' } });
    }
    for (const host of [`localhost:${server.port}`, `[::1]:${server.port}`]) {
      const res = await send(server.port, { method: 'POST', path: '/api/getSnapshot', headers: { ...auth, host }, body: '{}' });
      expect(res.status).toBe(200);
    }
  });

  it('?token= sets an HttpOnly SameSite=Strict cookie and redirects to the URL without it; the cookie then works', async () => {
    const res = await send(server.port, { path: `/?token=${token}&view=slots` });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/?view=slots');
    const cookie = String(res.headers['set-cookie']?.[0] ?? '');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const pair = cookie.split(';')[0] as string;
    const page = await send(server.port, { path: '/', headers: { cookie: pair } });
    expect(page.status).toBe(200);
    // As the dashboard sends it: JSON from its own origin (a cookie alone is refused, see http-edge.test.ts).
    const api = await send(server.port, { method: 'POST', path: '/api/getSnapshot', headers: { cookie: pair, 'content-type': 'application/json', origin: `http://127.0.0.1:${server.port}` }, body: '' });
    expect(api.status).toBe(200);
  });

  it('serves the built renderer with a strict CSP and nosniff; nothing outside its folder', async () => {
    const page = await send(server.port, { path: '/', headers: auth });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Modelbay</title>');
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const js = await send(server.port, { path: '/assets/app.js', headers: auth });
    expect(js.headers['content-type']).toContain('text/javascript');
    for (const path of ['/assets/..%2f..%2fsecret.txt', '/..%2f' + '..%2fsecret.txt', '/missing.js']) {
      const res = await send(server.port, { path, headers: auth });
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('TOP-SECRET-CONTENT');
    }
  });

  it('POST /api/<command> runs it; bad JSON is 400 EMB-E401; unknown is 404 EMB-E404; oversized is 413 EMB-E405', async () => {
    const ok = await send(server.port, { method: 'POST', path: '/api/pin', headers: { ...auth, 'content-type': 'application/json' }, body: '{"slot":"E2"}' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, result: { id: 'E2', pinned: true } });
    const bad = await send(server.port, { method: 'POST', path: '/api/pin', headers: auth, body: '{"slot":' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'EMB-E401' } });
    const invalid = await send(server.port, { method: 'POST', path: '/api/pin', headers: auth, body: '{"slot":"E0"}' });
    expect(invalid.status).toBe(400);
    const unknown = await send(server.port, { method: 'POST', path: '/api/formatDisk', headers: auth, body: '{}' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ ok: false, error: { code: 'EMB-E404' } });
    const before = JSON.stringify(h.settings.get());
    const big = await send(server.port, { method: 'POST', path: '/api/updateSettings', headers: auth, body: JSON.stringify({ cacheDir: 'x'.repeat(MAX_COMMAND_BYTES) }) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ ok: false, error: { code: 'EMB-E405' } });
    expect(JSON.stringify(h.settings.get())).toBe(before);
    const get = await send(server.port, { method: 'GET', path: '/api/pin', headers: auth });
    expect(get.status).toBe(400);
    expect(get.headers.allow).toBe('POST');
  });

  it('a chunked body without a length is cut off at the limit with 413', async () => {
    const res = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/updateSettings', headers: { host: `127.0.0.1:${server.port}`, ...auth, 'transfer-encoding': 'chunked' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      // The server may close while we still write: that is the point.
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') reject(e);
      });
      const piece = 'x'.repeat(64 * 1024);
      req.write('{"cacheDir":"');
      for (let i = 0; i < 6; i++) req.write(piece);
      req.end('"}');
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'EMB-E405' } });
  });

  it('a command the app refuses answers with its code', async () => {
    const res = await send(server.port, { method: 'POST', path: '/api/unload', headers: auth, body: '{"slot":"E3"}' });
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'EMB-E005' } });
  });

  it('GET /api/events: a snapshot, then deltas; a reconnect gets a fresh snapshot', async () => {
    let pinned: Promise<Answer> | null = null;
    const first = await readEvents(server.port, auth, 2, () => {
      pinned = send(server.port, { method: 'POST', path: '/api/pin', headers: auth, body: '{"slot":"E4"}' });
    });
    expect((await (pinned as unknown as Promise<Answer>)).status).toBe(200);
    expect(first[0]?.type).toBe('snapshot');
    expect(first[1]).toMatchObject({ type: 'slot', slot: { id: 'E4', pinned: true } });
    const again = await readEvents(server.port, auth, 1);
    expect(again[0]?.type).toBe('snapshot');
    const snap = again[0]?.type === 'snapshot' ? again[0].snapshot : null;
    expect(snap?.slots.find((s) => s.id === 'E4')?.pinned).toBe(true);
  });

  it('the event stream needs the token too', async () => {
    await expect(readEvents(server.port, {}, 1)).rejects.toThrow('status 401');
  });

  it('a server on ::1 prints a URL that reaches it', async () => {
    const s = await startServer({ app: h.app, token, host: '::1', port: 0, rendererDir: null });
    try {
      expect(s.url).toBe(`http://[::1]:${s.port}/`);
      const res = await fetch(`${s.url}api/getSnapshot`, { method: 'POST', headers: auth, body: '{}' });
      expect(res.status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('binds to 127.0.0.1 by default', async () => {
    const s = await startServer({ app: h.app, token, port: 0, rendererDir: null });
    try {
      expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
      expect(readFileSync(join(h.dir, 'server-token'), 'utf8').trim()).toBe(token);
    } finally {
      await s.close();
    }
  });
});
