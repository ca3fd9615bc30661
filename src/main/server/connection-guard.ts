/**
 * What the server does with connections before (and besides) requests: time-outs that
 * really free a slow client's socket, a cap on open connections, and a JSON answer with
 * a code for HTTP that Node's parser refuses. A slow or broken client is answered and
 * its socket destroyed — never ended half-open, which kept its descriptor until the
 * client chose to go (2,000 slowloris connections held 2,000 descriptors for minutes).
 */
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ModelbayError } from '../../shared/errors/errors.js';
import { httpStatus } from '../../shared/errors/http-status.js';

export interface ConnectionLimits {
  /** Open connections at most; then the oldest idle one is dropped, or the newcomer gets 503. */
  maxConnections: number;
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

/**
 * Tracks the server's sockets: which carry a request in progress (an SSE stream, a
 * command being run), and which are idle (between keep-alive requests, or still
 * dribbling headers). At the cap, an idle socket makes room for a newcomer: a slow
 * client cannot lock out the dashboard. Only when every socket is serving a request
 * does a newcomer get 503.
 */
export function guardConnections(server: Server, limits: ConnectionLimits, headers: Record<string, string>, log: (message: string) => void): { sockets: ReadonlySet<Duplex>; busy: (socket: Duplex) => boolean } {
  const sockets = new Set<Duplex>();
  const active = new Map<Duplex, number>();
  server.on('connection', (socket: Duplex) => {
    if (sockets.size >= limits.maxConnections) {
      let idle: Duplex | undefined;
      for (const s of sockets) {
        if (!active.has(s)) {
          idle = s;
          break;
        }
      }
      if (idle) {
        sockets.delete(idle);
        idle.destroy();
      } else {
        log(`Refused a connection: all ${limits.maxConnections} connections are serving requests.`);
        answerAndDestroy(socket, rawErrorResponse(new ModelbayError('EMB-E412', `The server is serving ${limits.maxConnections} connections, its limit: close some dashboards or event streams, or try again shortly.`, { limit: limits.maxConnections }), headers, { 'retry-after': '1' }), limits.lingerMs);
        return;
      }
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      active.delete(socket);
    });
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
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
  return { sockets, busy: (s) => active.has(s) };
}
