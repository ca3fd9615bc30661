/**
 * Whether a state-changing request comes from the dashboard or a script, not from
 * another page on this machine. SameSite cookies do not help here: a page on
 * http://127.0.0.1:<another port> (Jupyter, TensorBoard, a dev server) is the same
 * *site*, so the browser sends our cookie along with its no-cors fetches and form posts.
 * A script proves itself with the bearer header (a page cannot set it cross-origin
 * without a CORS preflight, which we never grant); a cookie-borne request must be JSON
 * (no form or no-cors fetch can send that type) and carry our own origin.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ModelbayError } from '../../shared/errors/errors.js';

export type Credential = 'bearer' | 'cookie';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function changesState(method: string | undefined): boolean {
  return !SAFE_METHODS.has((method ?? 'GET').toUpperCase());
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Whether `origin` is the origin of the server the browser addressed as `host` (already checked to be ours). */
function isOwnOrigin(origin: string, host: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host === new URL(`http://${host}`).host;
}

/**
 * The refusal for a request that may not change state, or null when it may. Every route
 * that changes state (/api commands, /v1) goes through this one check.
 */
export function crossSiteRefusal(req: { method?: string | undefined; headers: IncomingHttpHeaders }, credential: Credential): ModelbayError | null {
  if (credential === 'bearer' || !changesState(req.method)) return null;
  const host = req.headers.host ?? '';
  const origin = req.headers.origin;
  const fetchSite = req.headers['sec-fetch-site'];
  const type = mediaType(req.headers['content-type']);
  const sameOrigin = origin !== undefined ? isOwnOrigin(origin, host) : fetchSite === 'same-origin';
  if (type === 'application/json' && sameOrigin) return null;
  return new ModelbayError(
    'EMB-E410',
    'This request came with the dashboard\'s cookie but not from the dashboard (it needs Content-Type: application/json and the server\'s own Origin). Scripts send "Authorization: Bearer <token>" instead (`modelbay token` prints it).',
    { origin: String(origin ?? fetchSite ?? '').slice(0, 100), contentType: type.slice(0, 100) },
  );
}
