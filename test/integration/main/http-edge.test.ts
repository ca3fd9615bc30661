/**
 * The server's edge against what a hostile page or client sends: cross-site commands
 * riding on the cookie, malformed HTTP, and slow clients that hold connections open.
 */
import { connect, type Socket } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeResult } from '../../../src/main/core/runtime/index.js';
import { startServer, type RunningServer } from '../../../src/main/server/http-server.js';
import type { ServingApp } from '../../../src/main/server/openai/serve-routes.js';
import { loadOrCreateServerToken } from '../../../src/main/server/server-token.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';
import { send, type Answer } from './send-request.js';

/** Writes raw bytes and reads whatever comes back until the server closes. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      got += c;
    });
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(got) : reject(e)));
    s.on('close', () => resolve(got));
    s.write(bytes);
  });
}

function jsonOf(response: string): { status: number; headers: string; body: unknown } {
  const split = response.indexOf('\r\n\r\n');
  const head = response.slice(0, split);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  let body = response.slice(split + 4);
  if (/^transfer-encoding: chunked$/im.test(head)) {
    let text = '';
    for (let at = 0; ;) {
      const eol = body.indexOf('\r\n', at);
      const size = parseInt(body.slice(at, eol), 16);
      if (!(size > 0)) break;
      text += body.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    body = text;
  }
  return { status, headers: head.toLowerCase(), body: JSON.parse(body) as unknown };
}

/** Opens `count` event streams (the dashboard's): each holds its connection with a request in progress. */
function eventStreams(port: number, token: string, count: number): Promise<Socket[]> {
  return Promise.all(Array.from({ length: count }, () => new Promise<Socket>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.once('data', () => resolve(s));
    s.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  })));
}

describe('cross-site commands (CSRF)', () => {
  let h: Harness;
  let server: RunningServer;
  let token: string;
  let cookie: string;
  let origin: string;

  beforeAll(async () => {
    h = await harness({ ready: ['E1'] });
    token = loadOrCreateServerToken(h.dir);
    server = await startServer({ app: h.app, token, port: 0, rendererDir: null });
    cookie = `modelbay_token_${server.port}=${token}`;
    origin = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server.close();
    await h.close();
  });

  const pinned = async (slot: string): Promise<boolean> => {
    const res = await send(server.port, { method: 'POST', path: '/api/getSnapshot', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    const reply = JSON.parse(res.body) as { result: { slots: Array<{ id: string; pinned: boolean }> } };
    return reply.result.slots.find((s) => s.id === slot)?.pinned ?? false;
  };

  it.each([
    ['no Origin, no Sec-Fetch-Site', { 'content-type': 'application/json' }],
    ['another port on 127.0.0.1', { 'content-type': 'application/json', origin: 'http://127.0.0.1:8888' }],
    ['localhost on our port but a different origin than the Host', { 'content-type': 'application/json', origin: `http://localhost:1` }],
    ['a null origin (sandboxed frame, file:)', { 'content-type': 'application/json', origin: 'null' }],
    ['text/plain from our own origin (a form)', { 'content-type': 'text/plain', origin: 'SELF' }],
    ['a url-encoded form from our own origin', { 'content-type': 'application/x-www-form-urlencoded', origin: 'SELF' }],
    ['no content type from our own origin', { origin: 'SELF' }],
    ['same-site fetch metadata without Origin', { 'content-type': 'application/json', 'sec-fetch-site': 'same-site' }],
  ])('a cookie-borne command is refused with 403 EMB-E410: %s', async (_what, headers: Record<string, string>) => {
    const h2 = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v === 'SELF' ? origin : v]));
    const res = await send(server.port, { method: 'POST', path: '/api/pin', headers: { cookie, ...h2 }, body: '{"slot":"E3"}' });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toContain('application/json');
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'EMB-E410' } });
    expect(await pinned('E3')).toBe(false);
  });

  it('the dashboard (cookie + JSON + its own Origin, or same-origin fetch metadata) and scripts (bearer) are served', async () => {
    const dashboard = await send(server.port, { method: 'POST', path: '/api/pin', headers: { cookie, 'content-type': 'application/json; charset=utf-8', origin }, body: '{"slot":"E3"}' });
    expect(dashboard.status).toBe(200);
    const metadata = await send(server.port, { method: 'POST', path: '/api/unpin', headers: { cookie, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' }, body: '{"slot":"E3"}' });
    expect(metadata.status).toBe(200);
    const script = await send(server.port, { method: 'POST', path: '/api/pin', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: '{"slot":"E4"}' });
    expect(script.status).toBe(200);
    expect(await pinned('E4')).toBe(true);
  });

  it('reading stays open to the cookie: the page and the event stream', async () => {
    const res = await send(server.port, { path: '/api/nothing', headers: { cookie } });
    expect(res.status).toBe(404);
  });
});

describe('malformed HTTP answers JSON with a code', () => {
  let h: Harness;
  let server: RunningServer;

  beforeAll(async () => {
    h = await harness();
    server = await startServer({ app: h.app, token: loadOrCreateServerToken(h.dir), port: 0, rendererDir: null });
  });

  afterAll(async () => {
    await server.close();
    await h.close();
  });

  it.each([
    ['a long URL', () => `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 431, 'EMB-E414'],
    ['huge headers', () => `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, 431, 'EMB-E414'],
    ['Content-Length with Transfer-Encoding', () => 'POST /api/pin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'EMB-E411'],
    ['a negative Content-Length', () => 'POST /api/pin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n', 400, 'EMB-E411'],
    ['garbage', () => 'HELLO\r\n\r\n', 400, 'EMB-E411'],
  ])('%s', async (_what, request: () => string, status: number, code: string) => {
    const res = jsonOf(await raw(server.port, request()));
    expect(res.status).toBe(status);
    expect(res.headers).toContain('content-type: application/json');
    expect(res.headers).toContain('connection: close');
    expect(res.body).toMatchObject({ ok: false, error: { code } });
  });
});

/** Opens `count` connections that send a request line, then one header line every `everyMs`, never finishing. */
async function slowClients(port: number, count: number, everyMs: number): Promise<{ sockets: Socket[]; closed: () => number; stop: () => void }> {
  const sockets: Socket[] = [];
  let closed = 0;
  await Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve) => {
    const s = connect(port, '127.0.0.1');
    sockets.push(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      closed += 1;
    });
    s.on('data', () => undefined);
    s.once('connect', () => {
      s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      resolve();
    });
    s.once('close', () => resolve());
  })));
  const timer = setInterval(() => {
    for (const s of sockets) if (s.writable) s.write('X-Slow: 1\r\n');
  }, everyMs);
  return { sockets, closed: () => closed, stop: () => {
    clearInterval(timer);
    for (const s of sockets) s.destroy();
  } };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('slow clients and the connection cap', () => {
  let h: Harness;
  let token: string;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    h = await harness();
    token = loadOrCreateServerToken(h.dir);
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    await h.close();
  });

  const start = async (limits: Parameters<typeof startServer>[0]['limits']): Promise<RunningServer> => {
    const s = await startServer({ app: h.app, token, port: 0, rendererDir: null, limits });
    servers.push(s);
    return s;
  };
  const snapshot = (port: number): Promise<Answer> =>
    send(port, { method: 'POST', path: '/api/getSnapshot', headers: { authorization: `Bearer ${token}`, connection: 'close' }, body: '{}' });

  it('500 connections dribbling headers: a normal request answers, and every descriptor comes back after the header time-out', async () => {
    const server = await start({ maxConnections: 1000, headersTimeoutMs: 1500, requestTimeoutMs: 3000, checkIntervalMs: 100, lingerMs: 100, keepAliveTimeoutMs: 500 });
    const slow = await slowClients(server.port, 500, 100);
    try {
      await until('the server to accept them all', async () => (await server.connections()) >= 500);
      const res = await snapshot(server.port);
      expect(res.status).toBe(200);
      // The server, not the clients, closes them: they are still writing.
      await until('the slow connections to be closed', async () => (await server.connections()) === 0);
      await until('the clients to see the close', () => slow.closed() === 500);
    } finally {
      slow.stop();
    }
  });

  it('with the cap reached by slow clients, a normal request still answers: an idle connection makes room', async () => {
    const server = await start({ maxConnections: 50, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, checkIntervalMs: 1000, lingerMs: 100 });
    const slow = await slowClients(server.port, 500, 100);
    try {
      // Those past the cap had requestHeadMs to send a request, and were then refused.
      await until('the cap to hold', async () => slow.closed() >= 450 && (await server.connections()) <= 50);
      const res = await snapshot(server.port);
      expect(res.status).toBe(200);
      expect(await server.connections()).toBeLessThanOrEqual(50);
    } finally {
      slow.stop();
    }
  });

  it('the time-outs cover receiving a request, not answering it: an event stream and a slow command outlive them', async () => {
    const slowApp = {
      execute: async (name: string, input: unknown) => {
        // Far longer than the request time-out below: answering is not receiving.
        await new Promise((r) => setTimeout(r, 4000));
        return h.app.execute(name, input);
      },
      subscribe: (l: Parameters<Harness['app']['subscribe']>[0]) => h.app.subscribe(l),
    };
    // Time-outs long enough for a loaded machine to parse a request head in time (a busy CI
    // runner once took longer than 300 ms), short enough for the test to outlive them.
    const limits = { headersTimeoutMs: 1000, requestTimeoutMs: 1500, keepAliveTimeoutMs: 1000, checkIntervalMs: 50 };
    const server = await startServer({ app: slowApp, token, port: 0, rendererDir: null, heartbeatMs: 100, limits });
    servers.push(server);
    const stream = connect(server.port, '127.0.0.1');
    let received = '';
    let closed = false;
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => {
      received += c;
    });
    stream.on('close', () => {
      closed = true;
    });
    stream.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    const pings = (): number => received.split(': ping').length - 1;
    try {
      await until('the event stream to open', () => closed || pings() > 0);
      expect(received).toMatch(/^HTTP\/1\.1 200/);
      const opened = Date.now();
      const res = await snapshot(server.port);
      expect(res.status).toBe(200);
      // The stream keeps receiving heartbeats after every time-out has run out.
      const after = Math.max(limits.headersTimeoutMs, limits.requestTimeoutMs, limits.keepAliveTimeoutMs) * 2;
      await until('the time-outs to run out', () => Date.now() - opened > after);
      const before = pings();
      await until(`heartbeats after the time-outs (closed: ${String(closed)}, received: ${received.slice(0, 200)})`, () => closed || pings() > before + 3);
      expect(closed).toBe(false);
    } finally {
      stream.destroy();
    }
  });

  it('when every connection and the operator\'s reserve are serving requests, a newcomer gets 503 JSON EMB-E412', async () => {
    const server = await start({ maxConnections: 2, operatorReserve: 0 });
    const streams = await eventStreams(server.port, token, 2);
    try {
      const res = jsonOf(await raw(server.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`));
      expect(res.status).toBe(503);
      expect(res.headers).toContain('retry-after: 1');
      expect(res.body).toMatchObject({ ok: false, error: { code: 'EMB-E412', details: { limit: 2 } } });
    } finally {
      for (const s of streams) s.destroy();
    }
  });
});

describe('serving traffic at the connection cap', () => {
  let h: Harness;
  let token: string;
  let json: Record<string, string>;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    h = await harness({ ready: ['E1'] });
    token = loadOrCreateServerToken(h.dir);
    json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    await h.close();
  });

  /** The App's serving, with answers that wait until the test opens the gate: each /v1 request holds its connection. */
  const gated = (): { serving: ServingApp; open: () => void; calls: () => number } => {
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let calls = 0;
    const serving: ServingApp = {
      snapshot: () => h.app.snapshot(),
      subscribe: (listener) => h.app.subscribe(listener),
      serve: async (_slot, call): Promise<ServeResult> => {
        calls += 1;
        await gate;
        const body = { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [Math.SQRT1_2, Math.SQRT1_2] }], model: call.model, usage: { prompt_tokens: 1, total_tokens: 1 } };
        return { body: Buffer.from(JSON.stringify(body)), inputs: call.inputs, tokens: 1, hostMs: 0 };
      },
    };
    return { serving, open: () => open(), calls: () => calls };
  };
  const start = async (serving: ServingApp, limits: Parameters<typeof startServer>[0]['limits']): Promise<RunningServer> => {
    const s = await startServer({ app: h.app, serving, token, port: 0, rendererDir: null, limits });
    servers.push(s);
    return s;
  };
  const embed = (port: number): Promise<Answer> =>
    send(port, { method: 'POST', path: '/v1/embeddings', headers: json, body: JSON.stringify({ model: 'E1', input: 'x' }) })
      .catch((e: NodeJS.ErrnoException) => ({ status: 0, headers: {}, body: e.code ?? String(e) }));

  it('past the cap, a burst of /v1 clients is answered 503 EMB-E412 in OpenAI\'s shape with Retry-After, and no connection is reset', async () => {
    const { serving, open, calls } = gated();
    const server = await start(serving, { maxConnections: 8 });
    let answered = 0;
    const burst = Array.from({ length: 20 }, () => embed(server.port).then((a) => {
      answered += 1;
      return a;
    }));
    // The twelve past the cap are answered while the first eight still wait for the model.
    await until('the requests past the cap to be answered', () => answered >= 12 && calls() >= 8);
    const client = new OpenAI({ baseURL: `${server.url}v1`, apiKey: token, maxRetries: 0 });
    const late = await client.embeddings.create({ model: 'E1', input: 'x' }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(OpenAI.InternalServerError);
    expect(late).toMatchObject({ status: 503, code: 'EMB-E412', type: 'service_unavailable_error' });
    expect((late as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('1');
    open();
    const answers = await Promise.all(burst);
    expect(answers.map((a) => a.status).sort()).toEqual([...Array<number>(8).fill(200), ...Array<number>(12).fill(503)]);
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(a.headers['retry-after']).toBe('1');
      // OpenAI's shape alone: no dashboard fields beside `error`.
      const body = JSON.parse(a.body) as { error: { code: string; type: string; message: string } };
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toMatchObject({ code: 'EMB-E412', type: 'service_unavailable_error' });
      expect(body.error.message).toContain('8 connections');
    }
  });

  it('serving traffic holding every connection leaves the dashboard and the CLI their reserve; past it they get 503 in the dashboard\'s shape', async () => {
    const { serving, open, calls } = gated();
    const server = await start(serving, { maxConnections: 8, operatorReserve: 2 });
    const held = Array.from({ length: 8 }, () => embed(server.port));
    await until('eight /v1 requests to hold the connections', () => calls() >= 8);
    expect(await server.connections()).toBeGreaterThanOrEqual(8);
    const more = await embed(server.port);
    expect(more.status).toBe(503);

    // What `modelbay unload` / `evict` send: the App answers, not the connection cap.
    const unload = await send(server.port, { method: 'POST', path: '/api/unload', headers: { ...json, connection: 'close' }, body: '{"slot":"E1"}' });
    expect(unload.status).not.toBe(503);
    expect(JSON.parse(unload.body)).not.toMatchObject({ error: { code: 'EMB-E412' } });
    const pin = await send(server.port, { method: 'POST', path: '/api/pin', headers: { ...json, connection: 'close' }, body: '{"slot":"E1"}' });
    expect(pin.status).toBe(200);
    expect(JSON.parse(pin.body)).toMatchObject({ ok: true });
    // A keep-alive client does not sit on the reserve: its connection closes after the answer.
    const snapshot = await send(server.port, { method: 'POST', path: '/api/getSnapshot', headers: json, body: '{}' });
    expect(snapshot.status).toBe(200);
    expect(snapshot.headers.connection).toBe('close');

    // Two dashboards' event streams take the reserve; a third operator request is refused, in the dashboard's shape.
    const streams = await eventStreams(server.port, token, 2);
    try {
      const refused = await send(server.port, { method: 'POST', path: '/api/getSnapshot', headers: json, body: '{}' });
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(JSON.parse(refused.body)).toMatchObject({ ok: false, error: { code: 'EMB-E412', details: { limit: 8, reserve: 2 } } });
    } finally {
      for (const s of streams) s.destroy();
    }
    open();
    expect((await Promise.all(held)).map((a) => a.status)).toEqual(Array<number>(8).fill(200));
  });
});
