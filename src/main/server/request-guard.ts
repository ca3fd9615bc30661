/**
 * Who may talk to the headless server. The Host header must name the loopback
 * interface (or, when the user bound another address, an IP literal) with our port:
 * a DNS-rebinding page reaches us under its own host name and is refused. The bearer
 * token arrives as an Authorization header, or as a cookie set from the printed URL.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Whether a Host header value is acceptable for a server on `port` bound to `boundHost`. */
export function hostAllowed(header: string | undefined, port: number, boundHost: string): boolean {
  if (!header) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+):(\d{1,5})$/i.exec(header.trim());
  if (!m) return false;
  const name = (m[1] as string).toLowerCase();
  if (Number(m[2]) !== port) return false;
  if (LOOPBACK_NAMES.has(name)) return true;
  // Bound to a reachable address (the user asked for it): IP literals cannot be rebound.
  if (!isLoopbackAddress(boundHost)) return isIP(name.replace(/^\[|\]$/g, '')) !== 0;
  return false;
}

export function cookieName(port: number): string {
  // Cookies ignore ports: two servers on one machine must not read each other's token.
  return `modelbay_token_${port}`;
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? (m[1] as string) : null;
}

/** The server's token hashes once, not on every request (one hash less per request under load). */
let expectedDigest: { token: string; digest: Buffer } | null = null;

export function tokensEqual(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = createHash('sha256').update(given).digest();
  if (expectedDigest?.token !== expected) expectedDigest = { token: expected, digest: createHash('sha256').update(expected).digest() };
  return timingSafeEqual(a, expectedDigest.digest);
}
