/**
 * The headless server (node:http): POST /api/<command>, GET /api/events (SSE), and the
 * built renderer at /. Loopback only by default; every request must carry the Host of
 * our own address and the bearer token (header, or the cookie the printed URL sets).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isCommandName, MAX_COMMAND_BYTES, type CommandReply } from '../../shared/contract/api.js';
import { ModelbayError, type SerializedError } from '../../shared/errors/errors.js';
import type { App } from '../app/app.js';
import { RENDERER_CSP } from './renderer-csp.js';
import { httpStatus } from '../../shared/errors/http-status.js';
import { DEFAULT_LIMITS, guardConnections, serverTimeouts, type ConnectionLimits, type GuardedConnections } from './connection-guard.js';
import { crossSiteRefusal } from './csrf-guard.js';
import { parseJsonBody } from '../../shared/serving/serving-requests.js';
import { serveEventStream } from './event-stream.js';
import { isServePath, ServeRoutes, type ServingApp } from './openai/serve-routes.js';
import { bearerToken, cookieName, hostAllowed, readCookie, tokensEqual } from './request-guard.js';
import { readStaticFile } from './static-files.js';

export const DEFAULT_PORT = 7878;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServerOptions {
  app: Pick<App, 'execute' | 'subscribe'>;
  token: string;
  host?: string;
  /** 0 = a free port. */
  port?: number;
  /** The built renderer (out/renderer); null serves only the API. */
  rendererDir: string | null;
  heartbeatMs?: number;
  /** Unsent bytes an SSE client may fall behind before it is disconnected. */
  maxBufferedBytes?: number;
  log?: (message: string) => void;
  /** Serves /v1, /embed_sparse, /embed_all and /metrics when given (the headless entry passes the App). */
  serving?: ServingApp;
  /** Time-outs and the connection cap (tests shorten them). */
  limits?: Partial<ConnectionLimits>;
}

export interface RunningServer {
  /** The base URL, without the token. */
  readonly url: string;
  /** The URL to open: carries the token once, which the server trades for a cookie. */
  readonly dashboardUrl: string;
  readonly port: number;
  /** Open connections, as the server counts them (each holds a descriptor). */
  connections(): Promise<number>;
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** `/api`'s fallback: a valid request the app could not carry out (the slot is not loaded, …). */
const API_FALLBACK_STATUS = 422;

export function statusFor(error: SerializedError): number {
  return httpStatus(error.code, API_FALLBACK_STATUS);
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const log = options.log ?? (() => undefined);
  const streams = new Set<() => void>();
  const limits: ConnectionLimits = { ...DEFAULT_LIMITS, ...options.limits };
  let port = options.port ?? DEFAULT_PORT;
  const serve = options.serving ? new ServeRoutes({ app: options.serving, headers: SECURITY_HEADERS, readBytes }) : null;

  const sendJson = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra });
    res.end(text);
  };
  const sendError = (res: ServerResponse, error: ModelbayError, extra: Record<string, string> = {}): void => {
    const reply: CommandReply = { ok: false, error: error.toJSON() };
    sendJson(res, statusFor(reply.error), reply, extra);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Code talking to /v1 and /metrics reads OpenAI's error shape, also for the Host and token checks.
    const servePath = isServePath((req.url ?? '/').split('?')[0] ?? '/');
    const refuse = (error: ModelbayError, extra: Record<string, string> = {}): void => {
      if (servePath && serve) serve.fail(res, error, extra);
      else sendError(res, error, extra);
    };
    const full = guard.admit(req, res, servePath ? 'serving' : 'operator');
    if (full) {
      refuse(full, { 'retry-after': '1', connection: 'close' });
      return;
    }
    if (!hostAllowed(req.headers.host, port, host)) {
      refuse( new ModelbayError('EMB-E403', `This server answers only to its own loopback address and port (${port}): open the URL it printed; through an SSH tunnel, forward the same port on both ends (ssh -L ${port}:127.0.0.1:${port} …).`, { host: String(req.headers.host ?? '').slice(0, 100) }));
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    const cookie = cookieName(port);

    // The printed URL carries the token once: trade it for a cookie and drop it from the address bar.
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null && !isApi && !servePath && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!tokensEqual(queryToken, options.token)) {
        sendError(res, new ModelbayError('EMB-E402', 'The token in this URL is not valid: copy the URL that `modelbay serve` printed.', {}));
        return;
      }
      url.searchParams.delete('token');
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        location: `${url.pathname}${url.search}`,
        'set-cookie': `${cookie}=${options.token}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    const bearer = bearerToken(req.headers.authorization);
    const given = bearer ?? readCookie(req.headers.cookie, cookie);
    if (!tokensEqual(given, options.token)) {
      refuse(new ModelbayError('EMB-E402', given === null
        ? 'A token is needed: open this address with ?token=<token> once (`modelbay token` prints it; on a terminal `modelbay serve` prints the whole URL), or send "Authorization: Bearer <token>".'
        : 'The token sent is not this server\'s: each data folder has its own (`modelbay token --data-dir DIR` prints the one of the folder this server was started with).', { token: given === null ? 'missing' : 'wrong' }));
      return;
    }
    // Before any route: whatever changes state here (commands, /v1) must come from the dashboard or a script.
    const refusal = crossSiteRefusal(req, bearer !== null ? 'bearer' : 'cookie');
    if (refusal) {
      refuse(refusal);
      return;
    }

    if (servePath && serve) {
      await serve.handle(req, res, url.pathname);
      return;
    }
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') {
        sendError(res, new ModelbayError('EMB-E401', 'The event stream is read with GET.', { method: req.method ?? '' }), { allow: 'GET' });
        return;
      }
      const close = serveEventStream(req, res, options.app, {
        heartbeatMs: options.heartbeatMs ?? 15_000,
        maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
        headers: SECURITY_HEADERS,
        onDrop: log,
      });
      streams.add(close);
      req.on('close', () => streams.delete(close));
      return;
    }
    if (isApi) {
      const name = url.pathname.slice('/api/'.length);
      if (!isCommandName(name)) {
        sendError(res, new ModelbayError('EMB-E404', `There is no command ${JSON.stringify(name.slice(0, 64))}.`, { command: name.slice(0, 64) }));
        return;
      }
      if (req.method !== 'POST') {
        sendError(res, new ModelbayError('EMB-E401', `Commands are sent with POST /api/${name}.`, { method: req.method ?? '' }), { allow: 'POST' });
        return;
      }
      const body = await readBody(req);
      if (body instanceof ModelbayError) {
        // The rest of an oversized body is not read: close the connection after answering.
        sendError(res, body, body.code === 'EMB-E405' ? { connection: 'close' } : {});
        return;
      }
      const reply = await options.app.execute(name, body);
      sendJson(res, reply.ok ? 200 : statusFor(reply.error), reply);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, new ModelbayError('EMB-E401', 'Only GET is served outside /api.', { method: req.method ?? '' }), { allow: 'GET, HEAD' });
      return;
    }
    const file = options.rendererDir ? await readStaticFile(options.rendererDir, url.pathname) : null;
    if (!file) {
      sendError(res, new ModelbayError('EMB-E404', `Nothing is served at ${url.pathname.slice(0, 100)}.`, {}));
      return;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': file.type,
      'content-length': String(file.body.length),
      'content-security-policy': RENDERER_CSP,
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };

  const server: Server = createServer(serverTimeouts(limits), (req, res) => {
    handle(req, res).catch((e: unknown) => {
      // The path only: a query may carry the token, which never goes to a log.
      log(`The server failed on ${req.method ?? ''} ${(req.url ?? '').split('?')[0] ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) sendError(res, new ModelbayError('EMB-E500', 'The server failed on this request.', {}));
      else res.destroy();
    });
  });
  const guard: GuardedConnections = guardConnections(server, limits, SECURITY_HEADERS, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  // A bind to every interface is reached through 127.0.0.1 (what an SSH tunnel forwards to).
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}`;
  return {
    url: `${url}/`,
    dashboardUrl: `${url}/?token=${options.token}`,
    port,
    connections: () => new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n)))),
    close: () => new Promise<void>((resolve) => {
      for (const close of streams) close();
      streams.clear();
      serve?.close();
      server.close(() => resolve());
      for (const s of guard.sockets) s.destroy();
    }),
  };
}

/** The JSON body of a request: at most `limit` bytes (commands: MAX_COMMAND_BYTES); an empty body is no input. */
async function readBody(req: IncomingMessage, limit = MAX_COMMAND_BYTES): Promise<unknown> {
  const bytes = await readBytes(req, limit);
  if (bytes instanceof ModelbayError) return bytes;
  try {
    return parseJsonBody(bytes.toString('utf8'));
  } catch (e) {
    return e;
  }
}

/** The body's bytes: at most `limit` of them; past it, EMB-E405 and the rest is not read. */
function readBytes(req: IncomingMessage, limit: number): Promise<Buffer | ModelbayError> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(tooLarge(declared, limit));
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve(tooLarge(size, limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      // Most bodies arrive in one chunk: no copy then.
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    req.on('error', () => {
      if (!done) {
        done = true;
        resolve(new ModelbayError('EMB-E401', 'The request body could not be read.', {}));
      }
    });
  });
}

function tooLarge(bytes: number, limit: number): ModelbayError {
  return new ModelbayError('EMB-E405', `The request is ${bytes} bytes or more; the limit is ${limit}.`, { bytes, limit });
}
