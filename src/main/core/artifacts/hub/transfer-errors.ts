/**
 * What a failed transfer tells the user (issue #10): each failure names what happened,
 * the host or folder involved and what to do — a connection the server cut is not
 * "could not reach", a redirect loop is not "no ETag", a permission problem is not an
 * internal error.
 */
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { formatBytes } from '../../../../shared/values/bytes.js';
import { count } from '../../../../shared/values/counts.js';

export function hostOf(url: string): string {
  try { return new URL(url).host; } catch { return 'the Hub'; }
}

function errnoOf(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : '';
}

/** Bytes were flowing, so the host is reachable: it (or something between) cut the connection. */
export function closedEarly(err: unknown, url: string, at: { received: number; size: number; path: string }): ModelbayError {
  const cause = errnoOf(err) || (err instanceof Error ? err.message : String(err));
  const stalled = cause === 'UND_ERR_BODY_TIMEOUT';
  const host = hostOf(url);
  const message = stalled
    ? `${host} stopped sending ${at.path} after ${at.received} of ${at.size} bytes.`
    : `${host} closed the connection after ${at.received} of ${at.size} bytes of ${at.path}.`;
  return new ModelbayError(stalled ? 'EMB-E107' : 'EMB-E121', message, { host, cause, received: at.received, size: at.size, retryable: true }, { cause: err });
}

/** Causes that mean the host accepted the connection and then closed it (FIN or reset). */
const HANG_UP_CAUSES = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNRESET', 'EPIPE']);

/**
 * A byte request the host hung up on before answering is a connection it closed at
 * `received`, not an unreachable host: a server whose copy stops short answers the
 * resume this way, and the user must learn where it stopped (EMB-E121), not to check
 * the network. A refused or timed-out connection stays what it was.
 */
export function hungUp(err: unknown, url: string, at: { received: number; size: number; path: string }): unknown {
  if (!(err instanceof ModelbayError) || err.code !== 'EMB-E107' || !HANG_UP_CAUSES.has(String(err.details['cause']))) return err;
  return closedEarly(err.cause ?? err, url, at);
}

export function tooSlow(url: string, limitBps: number, windowMs: number, path: string): ModelbayError {
  const host = hostOf(url);
  return new ModelbayError('EMB-E120', `${path}: the transfer from ${host} stayed below ${formatBytes(limitBps)}/s for ${windowMs / 1000} s.`, {
    host, limitBps, windowSeconds: windowMs / 1000, retryable: true, slow: true,
  });
}

export function isTooSlow(err: unknown): boolean {
  return err instanceof ModelbayError && err.code === 'EMB-E120';
}

/** The last error of a transfer that ran out of retries, saying how many attempts were made. */
export function gaveUp(err: unknown, attempts: number): unknown {
  if (!(err instanceof ModelbayError) || attempts < 2) return err;
  const extra = err.code === 'EMB-E120'
    ? ` Gave up after ${count(attempts, 'attempt')}: check the network, or lower the low-speed limit in Settings.`
    : ` Gave up after ${count(attempts, 'attempt')}.`;
  return new ModelbayError(err.code, `${err.message}${extra}`, { ...err.details, attempts, retryable: false }, { cause: err });
}

export function unsupportedEncoding(encoding: string, url: string, path: string, ranged: boolean): ModelbayError {
  const host = hostOf(url);
  const why = ranged
    ? `answered a Range request for ${path} with a "${encoding}"-encoded part, which cannot be joined to the bytes already kept`
    : `sent ${path} with Content-Encoding "${encoding}", which Modelbay cannot decode`;
  return new ModelbayError('EMB-E119', `${host} ${why} (it asked for identity). A proxy or CDN is rewriting the download.`, { host, encoding, ranged });
}

export function redirectLoop(url: string, hops: number): ModelbayError {
  const host = hostOf(url);
  return new ModelbayError('EMB-E122', `${host} redirected ${count(hops, 'time')} without reaching the file (a redirect loop). Check the Hub endpoint setting or any proxy in between.`, { host, hops, url: url.slice(0, 300) });
}

const PERMISSION_CODES = new Set(['EACCES', 'EPERM', 'EROFS']);

/** A permission problem in the cache folder, with the folder named and the remedy. */
export function permissionDenied(err: unknown, cacheDir: string): ModelbayError | null {
  if (err instanceof ModelbayError && err.code === 'EMB-E123') return err;
  // The errno may sit on a wrapping error's cause (a ModelbayError made from it).
  const source = [err, (err as { cause?: unknown } | null)?.cause].find((e) => PERMISSION_CODES.has(errnoOf(e)));
  if (source === undefined) return null;
  const code = errnoOf(source);
  const path = (source as NodeJS.ErrnoException).path ?? cacheDir;
  const what = code === 'EROFS' ? 'is on a read-only file system' : 'is not readable and writable by Modelbay';
  return new ModelbayError('EMB-E123', `The cache folder ${cacheDir} ${what} (${code} on ${path}). Fix its permissions (e.g. chown or chmod u+rwx ${path}) or choose another cache folder in Settings.`, {
    cacheDir, path, cause: code,
  }, { cause: source });
}

/** The one cancellation error of downloads (a cancel, a pause or shutdown aborted the transfer). */
export function cancelled(message = 'Download cancelled.', details: Record<string, unknown> = {}): ModelbayError {
  return new ModelbayError('EMB-E114', message, details);
}
