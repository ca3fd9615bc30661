/**
 * The Hub's HTTP protocol as Modelbay speaks it (as huggingface_hub does): resolve
 * URLs, the metadata HEAD, error headers → ModelbayError codes, token discovery, offline
 * mode, and the GET that the downloader streams from. Redirects are followed by hand so
 * that the token only ever goes to the endpoint's own origin, and every value a server
 * sends is checked before it is used (an etag becomes a file name, a Location decides
 * where headers go).
 *
 * @huggingface/hub is not used for the transfer: its download helper trusted hostile
 * etags and forwarded the token to the CDN (see the notes).
 */
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { isOffline } from './hub-environment.js';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { assertCommit, assertEtag, assertRepoId, assertRepoPath, assertRevision } from '../cache/hf-cache-layout.js';
import { cancelled, redirectLoop } from './transfer-errors.js';

export function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ModelbayError('EMB-E002', `"${endpoint}" is not a Hub endpoint URL.`, { endpoint });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModelbayError('EMB-E002', `The Hub endpoint must be http or https, not ${url.protocol}.`, { endpoint });
  }
  return trimmed;
}

/** A revision is encoded with no safe characters: refs/pr/1 → refs%2Fpr%2F1. */
export function encodeRevision(revision: string): string {
  return encodeURIComponent(revision);
}

/** A file path is encoded segment by segment, keeping `/`. */
export function encodeRepoPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export interface FileMetadata {
  repo: string;
  revision: string;
  path: string;
  commit: string;
  /** sha256 for LFS files, git blob sha1 otherwise (already checked as a file name). */
  etag: string;
  size: number;
  lfs: boolean;
  /** Absolute URL to GET the bytes from (the CDN for LFS files). */
  downloadUrl: string;
}

export interface HubTreeEntry {
  type: 'file' | 'directory';
  path: string;
  size: number;
  oid: string;
  lfs: { oid: string; size: number } | null;
}

export interface HubClientOptions {
  endpoint: string;
  token: string | null;
  offline?: boolean;
  /** Connect/headers timeout of metadata requests (HF_HUB_ETAG_TIMEOUT, default 10 s). */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

export interface HubResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump(opts?: { limit: number }): Promise<void> };
  url: string;
}

const MAX_REDIRECTS = 5;
const MAX_SIZE = 2 ** 50;

const treeSchema = z.array(z.object({
  type: z.enum(['file', 'directory']),
  path: z.string(),
  size: z.number().int().nonnegative().max(MAX_SIZE).optional().default(0),
  oid: z.string().max(128).optional().default(''),
  lfs: z.object({ oid: z.string(), size: z.number().int().nonnegative().max(MAX_SIZE) }).nullish(),
}).loose());

const revisionSchema = z.object({ sha: z.string() }).loose();

/** Stop reading a body we do not want; undici reports a destroyed body as an 'error', which must not go unheard. */
export function dropBody(res: HubResponse): void {
  res.body.on('error', () => undefined);
  res.body.destroy();
}

/** `bytes 100-199/1000` → start 100, total 1000; the 416 form `bytes *\/1000` → start -1. */
export function contentRange(res: HubResponse): { start: number; total: number | null } | null {
  const raw = res.headers['content-range'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  const m = v ? /^bytes (?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(v) : null;
  if (!m) return null;
  return { start: m[1] === undefined ? -1 : Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

function header(headers: HubResponse['headers'], name: string): string | null {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] ?? null : v ?? null;
}

/** `W/"abc"` → `abc`. */
export function cleanEtag(raw: string): string {
  return raw.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function parseSize(raw: string | null, what: string): number {
  if (raw === null || !/^\d{1,16}$/.test(raw.trim()) || Number(raw) > MAX_SIZE) {
    throw new ModelbayError('EMB-E116', `The Hub sent an invalid ${what}: "${(raw ?? '').slice(0, 40)}".`, { value: (raw ?? '').slice(0, 40) });
  }
  return Number(raw);
}

/** Seconds of an integer Retry-After (huggingface_hub honours integers only). */
function retryAfterMs(raw: string | null): number | null {
  if (raw === null || !/^\s*\d{1,6}\s*$/.test(raw)) return null;
  return Number(raw) * 1000;
}

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Any transport failure as EMB-E107 (retryable); a ModelbayError passes through. */
export function networkError(err: unknown, url: string): ModelbayError {
  if (err instanceof ModelbayError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : String(err);
  const host = safeHost(url);
  return new ModelbayError('EMB-E107', `Could not reach ${host}: ${message}. Check the network connection or the Hub endpoint setting.`, {
    host, cause: code || message, retryable: NETWORK_CODES.has(code) || code === '' || code.startsWith('UND_ERR'),
  }, { cause: err });
}

function safeHost(url: string): string {
  try { return new URL(url).host; } catch { return 'the Hub'; }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof ModelbayError && err.details['retryable'] === true;
}

export function retryAfterOf(err: unknown): number | null {
  const v = err instanceof ModelbayError ? err.details['retryAfterMs'] : null;
  return typeof v === 'number' ? v : null;
}

export class HubClient {
  private endpointUrl: string;
  private token: string | null;
  private offline: boolean;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(options: HubClientOptions) {
    this.endpointUrl = normalizeEndpoint(options.endpoint);
    this.token = options.token?.trim() || null;
    this.offline = options.offline ?? isOffline(process.env);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.dispatcher = options.dispatcher;
  }

  configure(partial: Partial<Pick<HubClientOptions, 'endpoint' | 'token' | 'offline'>>): void {
    if (partial.endpoint !== undefined) this.endpointUrl = normalizeEndpoint(partial.endpoint);
    if (partial.token !== undefined) this.token = partial.token?.trim() || null;
    if (partial.offline !== undefined) this.offline = partial.offline;
  }

  get endpoint(): string {
    return this.endpointUrl;
  }

  /** What a client in another thread is built from to speak to the same Hub as this one. */
  get connection(): { endpoint: string; token: string | null; offline: boolean } {
    return { endpoint: this.endpointUrl, token: this.token, offline: this.offline };
  }

  get isOffline(): boolean {
    return this.offline;
  }

  resolveUrl(repo: string, revision: string, path: string): string {
    return `${this.endpointUrl}/${assertRepoId(repo)}/resolve/${encodeRevision(assertRevision(revision))}/${encodeRepoPath(assertRepoPath(path))}`;
  }

  /** Headers for a request to `url`: the token only when `url` is on the endpoint's origin. */
  headersFor(url: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': 'modelbay/0.1', 'accept-encoding': 'identity', ...extra };
    if (this.token && new URL(url).origin === new URL(this.endpointUrl).origin) h['authorization'] = `Bearer ${this.token}`;
    return h;
  }

  private assertOnline(what: string): void {
    if (this.offline) {
      throw new ModelbayError('EMB-E112', `Offline mode is on (HF_HUB_OFFLINE or the app setting): cannot ${what}. Turn offline mode off, or use files already in the cache.`, {});
    }
  }

  /** The error a non-2xx answer stands for, from X-Error-Code / X-Error-Message and the status. */
  errorFor(status: number, headers: HubResponse['headers'], ctx: { repo?: string; revision?: string; path?: string; url: string }): ModelbayError {
    const code = header(headers, 'x-error-code');
    const message = (header(headers, 'x-error-message') ?? '').slice(0, 300);
    const commit = header(headers, 'x-repo-commit');
    const details = { status, repo: ctx.repo, revision: ctx.revision, path: ctx.path, hubCode: code, hubMessage: message, endpoint: this.endpointUrl, url: ctx.url.split('?')[0], ...(commit ? { commit } : {}) };
    const repo = ctx.repo ?? 'the repository';
    // The Hub's own words, and which Hub: a user with HF_ENDPOINT set must not be sent to huggingface.co.
    const says = message ? ` The Hub (${this.endpointUrl}) says: "${message}"` : ` (Hub: ${this.endpointUrl})`;
    if (code === 'GatedRepo') {
      const how = this.token
        ? `your token has no access yet: accept the licence on ${this.endpointUrl}/${repo} with the account that owns the token`
        : `it needs a Hugging Face token: accept the licence on ${this.endpointUrl}/${repo}, then set a token in Settings or HF_TOKEN`;
      return new ModelbayError('EMB-E102', `${repo} is a gated repository and ${how}.${says}`, details);
    }
    if (code === 'RepoNotFound') {
      return new ModelbayError('EMB-E103', `Repository ${repo} was not found${this.token ? '' : ' (if it is private, set a token with access)'}.${says}`, details);
    }
    if (code === 'RevisionNotFound') return new ModelbayError('EMB-E104', `Revision "${ctx.revision ?? ''}" does not exist in ${repo}.${says}`, details);
    if (code === 'EntryNotFound') return new ModelbayError('EMB-E105', `File ${ctx.path ?? ''} does not exist in ${repo} at "${ctx.revision ?? ''}".${says}`, details);
    if (status === 401 && (/invalid credentials|invalid user token/i.test(message) || (this.token !== null && code === null))) {
      return new ModelbayError('EMB-E106', `The Hugging Face token was refused as invalid. Set a valid token in Settings (or HF_TOKEN), or remove it.${says}`, details);
    }
    if (status === 403 && /disabled/i.test(message)) {
      return new ModelbayError('EMB-E117', `Access to ${repo} is disabled on the Hub.${says}`, details);
    }
    const retryable = RETRYABLE_STATUSES.has(status);
    const after = retryAfterMs(header(headers, 'retry-after'));
    return new ModelbayError('EMB-E116', `${safeHost(ctx.url)} answered ${status}${message ? `: ${message}` : ''}${retryable ? '' : '.'}${retryable ? ' (will retry).' : ''}`, {
      ...details, retryable, ...(after !== null ? { retryAfterMs: after } : {}),
    });
  }

  private async send(method: 'HEAD' | 'GET', url: string, headers: Record<string, string>, signal: AbortSignal | undefined, bodyTimeout: number): Promise<HubResponse> {
    try {
      const r = await request(url, {
        method, headers, signal, headersTimeout: Math.min(this.timeoutMs, bodyTimeout), bodyTimeout,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      return { status: r.statusCode, headers: r.headers, body: r.body, url };
    } catch (err) {
      if (signal?.aborted) throw cancelled();
      throw networkError(err, url);
    }
  }

  /** A redirect's target, checked: only http(s). */
  private location(res: HubResponse): string {
    const raw = header(res.headers, 'location');
    if (!raw) throw new ModelbayError('EMB-E116', `${safeHost(res.url)} answered ${res.status} without a Location.`, { status: res.status });
    let target: URL;
    try {
      target = new URL(raw, res.url);
    } catch {
      throw new ModelbayError('EMB-E116', `${safeHost(res.url)} redirected to an invalid URL.`, { location: raw.slice(0, 200) });
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new ModelbayError('EMB-E111', `The Hub redirected to a ${target.protocol} URL: refused.`, { location: raw.slice(0, 200) });
    }
    return target.toString();
  }

  /**
   * HEAD on the resolve URL. Relative redirects (a renamed repo, a branch → commit) are
   * followed with the same headers; an absolute redirect is the download location (the
   * CDN) and is not followed: its headers already carry the metadata.
   */
  async fileMetadata(repo: string, revision: string, path: string, signal?: AbortSignal): Promise<FileMetadata> {
    this.assertOnline(`look up ${repo}/${path}`);
    let url = this.resolveUrl(repo, revision, path);
    const ctx = { repo, revision, path };
    for (let hop = 0; ; hop++) {
      const res = await this.send('HEAD', url, this.headersFor(url), signal, this.timeoutMs);
      await res.body.dump().catch(() => undefined);
      if (res.status >= 300 && res.status < 400) {
        const raw = header(res.headers, 'location') ?? '';
        const relative = !/^[a-z][a-z0-9+.-]*:/i.test(raw) && !raw.startsWith('//');
        const target = this.location(res);
        if (relative && hop < MAX_REDIRECTS) { url = target; continue; }
        if (relative) throw redirectLoop(url, hop + 1);
        return this.metadataFrom(res, ctx, target);
      }
      if (res.status >= 200 && res.status < 300) return this.metadataFrom(res, ctx, url);
      throw this.errorFor(res.status, res.headers, { ...ctx, url });
    }
  }

  private metadataFrom(res: HubResponse, ctx: { repo: string; revision: string; path: string }, downloadUrl: string): FileMetadata {
    const commitRaw = header(res.headers, 'x-repo-commit');
    if (!commitRaw) throw new ModelbayError('EMB-E116', `The Hub's answer for ${ctx.repo}/${ctx.path} has no commit (X-Repo-Commit): is the endpoint a Hugging Face Hub?`, { url: res.url });
    const linked = header(res.headers, 'x-linked-etag');
    const etagRaw = linked ?? header(res.headers, 'etag');
    if (!etagRaw) throw new ModelbayError('EMB-E116', `The Hub's answer for ${ctx.repo}/${ctx.path} has no ETag.`, { url: res.url });
    const size = parseSize(header(res.headers, 'x-linked-size') ?? header(res.headers, 'content-length'), 'file size');
    return {
      ...ctx,
      commit: assertCommit(commitRaw.trim()),
      etag: assertEtag(cleanEtag(etagRaw)),
      size,
      lfs: linked !== null,
      downloadUrl,
    };
  }

  /**
   * GET the bytes (optionally from `start`), following redirects by hand: the token goes
   * only to the endpoint's origin. A non-2xx (other than 416, which the caller handles)
   * throws the mapped error. `idleTimeoutMs` bounds the wait between body chunks.
   */
  async get(url: string, opts: { start?: number; end?: number; signal?: AbortSignal; idleTimeoutMs: number; ctx?: { repo: string; revision: string; path: string } }): Promise<HubResponse> {
    this.assertOnline('download');
    let target = url;
    const range: Record<string, string> = opts.start !== undefined && (opts.start > 0 || opts.end !== undefined)
      ? { range: `bytes=${opts.start}-${opts.end ?? ''}` } : {};
    for (let hop = 0; ; hop++) {
      const res = await this.send('GET', target, this.headersFor(target, range), opts.signal, opts.idleTimeoutMs);
      if (res.status >= 300 && res.status < 400) {
        await res.body.dump().catch(() => undefined);
        if (hop >= MAX_REDIRECTS) throw redirectLoop(target, hop + 1);
        target = this.location(res);
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || res.status === 416) return res;
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throw this.errorFor(res.status, res.headers, { ...opts.ctx, url: target });
    }
  }

  async revisionCommit(repo: string, revision: string, signal?: AbortSignal): Promise<string> {
    this.assertOnline(`resolve ${repo}@${revision}`);
    const url = `${this.endpointUrl}/api/models/${assertRepoId(repo)}/revision/${encodeRevision(assertRevision(revision))}`;
    const body = await this.getJson(url, signal, { repo, revision });
    const parsed = revisionSchema.safeParse(body);
    if (!parsed.success) throw new ModelbayError('EMB-E116', `The Hub's revision answer for ${repo} is malformed.`, { repo });
    return assertCommit(parsed.data.sha);
  }

  /** Every file of a revision (recursive); paths that would leave the repository are refused. */
  async listFiles(repo: string, revision: string, signal?: AbortSignal): Promise<HubTreeEntry[]> {
    this.assertOnline(`list ${repo}`);
    const url = `${this.endpointUrl}/api/models/${assertRepoId(repo)}/tree/${encodeRevision(assertRevision(revision))}?recursive=true`;
    const body = await this.getJson(url, signal, { repo, revision });
    const parsed = treeSchema.safeParse(body);
    if (!parsed.success) throw new ModelbayError('EMB-E116', `The Hub's file list for ${repo} is malformed.`, { repo, issues: parsed.error.issues.slice(0, 3).map((i) => i.message) });
    return parsed.data.map((e) => ({
      type: e.type,
      path: assertRepoPath(e.path),
      size: e.lfs?.size ?? e.size,
      oid: e.oid,
      lfs: e.lfs ? { oid: assertEtag(e.lfs.oid), size: e.lfs.size } : null,
    }));
  }

  private async getJson(url: string, signal: AbortSignal | undefined, ctx: { repo: string; revision: string }): Promise<unknown> {
    const res = await this.send('GET', url, this.headersFor(url, { accept: 'application/json' }), signal, this.timeoutMs);
    if (res.status !== 200) {
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throw this.errorFor(res.status, res.headers, { ...ctx, url });
    }
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const c of res.body) {
        const b = c as Buffer;
        n += b.length;
        if (n > 32 << 20) throw new ModelbayError('EMB-E116', 'The Hub sent a listing larger than 32 MB: refused.', { url });
        chunks.push(b);
      }
    } catch (err) {
      res.body.destroy();
      throw networkError(err, url);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      throw new ModelbayError('EMB-E116', `The Hub sent invalid JSON from ${safeHost(url)}.`, { url });
    }
  }
}
