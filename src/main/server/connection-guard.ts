/**
 * What the server does with connections before (and besides) requests: time-outs that
 * really free a slow client's socket, a cap on open connections, and a JSON answer with
 * a code for HTTP that Node's parser refuses. A slow or broken client is answered and
 * its socket destroyed — never ended half-open, which kept its descriptor until the
 * client chose to go (2,000 slowloris connections held 2,000 descriptors for minutes).
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ModelbayError } from '../../shared/errors/errors.js';
import { httpStatus } from '../../shared/errors/http-status.js';

export interface ConnectionLimits {
  /** Open connections at most for any request; then the oldest idle one is dropped, or the newcomer gets 503. */
  maxConnections: number;
  /**
   * Connections beyond maxConnections that only the dashboard and the CLI (/api, the
   * dashboard's pages and event stream) may take: serving traffic that fills the cap
   * cannot lock the operator out of `modelbay evict`.
   */
  operatorReserve: number;
  /**
   * How long a connection over the cap may take to send its request head, whose path says
   * who it is for (the reserve) and the shape of the 503; a newcomer does not push out a
   * connection younger than this that has not sent its request yet (a burst of clients).
   */
  requestHeadMs: number;
  /** From connect to the end of the request headers. */
  headersTimeoutMs: number;
  /** From connect to the end of the request body. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the header and request time-outs (its default, 30 s, lets them overrun by that much). */
  checkIntervalMs: number;
  /** How long an answered, refused socket may drain before it is destroyed. */
  lingerMs: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxConnections: 256,
  operatorReserve: 32,
  requestHeadMs: 2_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  lingerMs: 1_000,
};

/** The options for http.createServer that make the time-outs effective. */
export function serverTimeouts(limits: ConnectionLimits): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number } {
  return {
    headersTimeout: limits.headersTimeoutMs,
    // Node refuses a request time-out shorter than the header time-out.
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}

/** A raw socket's fallback: whatever Node's parser refused is a bad request. */
const RAW_FALLBACK_STATUS = 400;

/** A complete HTTP/1.1 error answer, for sockets that have no ServerResponse. */
export function rawErrorResponse(error: ModelbayError, headers: Record<string, string>, extra: Record<string, string> = {}): string {
  const status = httpStatus(error.code, RAW_FALLBACK_STATUS);
  const body = JSON.stringify({ ok: false, error: error.toJSON() });
  const lines = Object.entries({ ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra, connection: 'close', 'content-length': String(Buffer.byteLength(body)) })
    .map(([k, v]) => `${k}: ${v}`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** What Node's parser (or its time-out check) refused, as our error. */
export function clientErrorOf(err: Error & { code?: string }): ModelbayError | null {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || code === 'EPIPE') return null;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new ModelbayError('EMB-E413', 'The request was not received in time: send the headers and body promptly.', {});
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new ModelbayError('EMB-E414', 'The request line and headers are too large (the limit is 16 KB): shorten the URL or the headers.', {});
  }
  return new ModelbayError('EMB-E411', `The request is not valid HTTP/1.1 (${code || err.message}).`, { reason: code.slice(0, 64) });
}

/**
 * Answers and closes: the answer is written, the socket's input drained for a moment so
 * the client is not reset before it reads the answer, then the socket is destroyed.
 */
export function answerAndDestroy(socket: Duplex, response: string | null, lingerMs: number): void {
  socket.on('error', () => undefined);
  if (!response || !socket.writable) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(response);
  socket.resume();
}

/** Who a request is for: serving traffic (/v1, /embed_*, /metrics), or the operator (the dashboard, /api, the CLI). */
export type RequestClass = 'serving' | 'operator';

/** The 503 past the cap; `null`: a connection that sent no request in time. */
export function connectionsFull(limits: ConnectionLimits, who: RequestClass | null): ModelbayError {
  const details = { limit: limits.maxConnections, reserve: limits.operatorReserve };
  if (who === 'operator') {
    return new ModelbayError('EMB-E412', `All ${limits.maxConnections} connections and the ${limits.operatorReserve} kept for the dashboard and the CLI are in use: close some dashboards or event streams, or try again shortly.`, details);
  }
  const why = who === null ? `, and this connection sent no request within ${limits.requestHeadMs} ms` : '';
  return new ModelbayError('EMB-E412', `The server is serving ${limits.maxConnections} connections, its limit${why}: retry after a second, or send fewer requests at once.`, details);
}

export interface GuardedConnections {
  /** Every open socket (closing the server destroys them). */
  sockets: ReadonlySet<Duplex>;
  busy: (socket: Duplex) => boolean;
  /**
   * Called first for every request: null to go on, or the 503 to answer (in the request's
   * own shape, then close) when its connection came over the cap and there is no room for it.
   */
  admit: (req: IncomingMessage, res: ServerResponse, who: RequestClass) => ModelbayError | null;
}

/**
 * Tracks the server's sockets: which carry a request in progress (an SSE stream, a
 * command being run), and which are idle (between keep-alive requests, or still
 * dribbling headers). At the cap, an idle socket makes room for a newcomer: a slow
 * client cannot lock out the dashboard. When none can, the newcomer is not answered
 * blind: its request head (given requestHeadMs) says who it is for. The operator's
 * requests then take the reserve; others get 503 with Retry-After in their route's
 * shape. A socket that sends nothing in time gets 503 in the dashboard's.
 */
export function guardConnections(server: Server, limits: ConnectionLimits, headers: Record<string, string>, log: (message: string) => void): GuardedConnections {
  const all = new Set<Duplex>();
  /** Within the cap. */
  const capped = new Set<Duplex>();
  /** Operator connections over the cap. */
  const reserved = new Set<Duplex>();
  /** Over the cap, request head not read yet. */
  const waiting = new Map<Duplex, ReturnType<typeof setTimeout>>();
  /** Within the cap, no request yet: when it connected. */
  const fresh = new Map<Duplex, number>();
  const active = new Map<Duplex, number>();
  /** Drops the oldest idle socket that had its chance to send a request; false when there is none. */
  const makeRoom = (): boolean => {
    const now = Date.now();
    for (const s of capped) {
      if (active.has(s)) continue;
      const since = fresh.get(s);
      if (since !== undefined && now - since < limits.requestHeadMs) continue;
      capped.delete(s);
      s.destroy();
      return true;
    }
    return false;
  };
  server.on('connection', (socket: Duplex) => {
    all.add(socket);
    socket.once('close', () => {
      all.delete(socket);
      capped.delete(socket);
      reserved.delete(socket);
      fresh.delete(socket);
      active.delete(socket);
      clearTimeout(waiting.get(socket));
      waiting.delete(socket);
    });
    if (capped.size < limits.maxConnections || makeRoom()) {
      capped.add(socket);
      fresh.set(socket, Date.now());
      return;
    }
    const refuse = (): void => {
      waiting.delete(socket);
      log(`Refused a connection: all ${limits.maxConnections} connections are serving requests.`);
      answerAndDestroy(socket, rawErrorResponse(connectionsFull(limits, null), headers, { 'retry-after': '1' }), limits.lingerMs);
    };
    // A flood of connections is not held: at most as many wait as the cap allows.
    if (waiting.size >= limits.maxConnections) {
      refuse();
      return;
    }
    const timer = setTimeout(refuse, limits.requestHeadMs);
    timer.unref();
    waiting.set(socket, timer);
  });
  const admit = (req: IncomingMessage, res: ServerResponse, who: RequestClass): ModelbayError | null => {
    const socket = req.socket;
    // The reserve is held while a request runs, not by an idle keep-alive connection.
    if (reserved.has(socket)) res.setHeader('connection', 'close');
    const timer = waiting.get(socket);
    if (timer === undefined) return null;
    clearTimeout(timer);
    waiting.delete(socket);
    if (capped.size < limits.maxConnections || makeRoom()) capped.add(socket);
    else if (who === 'operator' && reserved.size < limits.operatorReserve) {
      reserved.add(socket);
      res.setHeader('connection', 'close');
    } else {
      log(`Refused a ${who} request: all ${limits.maxConnections} connections${who === 'operator' ? ` and the ${limits.operatorReserve} kept for the operator` : ''} are serving requests.`);
      return connectionsFull(limits, who);
    }
    return null;
  };
  server.on('request', (req, res) => {
    const socket = req.socket;
    fresh.delete(socket);
    active.set(socket, (active.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (active.get(socket) ?? 1) - 1;
      if (left <= 0) active.delete(socket);
      else active.set(socket, left);
    });
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    // A response already under way cannot be followed by another: just drop the socket.
    const answer = active.has(socket) ? null : clientErrorOf(err);
    answerAndDestroy(socket, answer ? rawErrorResponse(answer, headers) : null, limits.lingerMs);
  });
  return { sockets: all, busy: (s) => active.has(s), admit };
}
