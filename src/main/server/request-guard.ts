/**
 * Who may talk to the headless server. The Host header must name the loopback
 * interface (or, when the user bound another address, an IP literal) with our port:
 * a DNS-rebinding page reaches us under its own host name and is refused. The bearer
 * token arrives as an Authorization header, or as a cookie set from the printed URL.
 */
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

/**
 * Whether the given token is the server's, in time that depends on the expected token's
 * length alone: every character is compared, and a shorter or longer guess differs by its
 * length without ending the loop early. It replaces hashing both sides with SHA-256 on
 * every request, which was 3 % of main's time serving 64 clients (bench:serve's profile)
 * for the same guarantee.
 */
export function tokensEqual(given: string | null, expected: string): boolean {
  if (given === null) return false;
  let diff = given.length ^ expected.length;
  // charCodeAt past the end is NaN, and NaN | 0 is 0: a short guess still costs the full loop.
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) | 0) ^ expected.charCodeAt(i);
  return diff === 0;
}
