/**
 * The endpoints that serve a researcher's own code, on the dashboard's port behind the
 * same Host check and token: OpenAI's GET /v1/models[/{id}] and POST /v1/embeddings,
 * TEI-style POST /embed_sparse and /embed_all, and GET /metrics (Prometheus).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppSnapshot } from '../../../shared/contract/api.js';
import { ModelbayError } from '../../../shared/errors/errors.js';
import { scanServeBody, type ScannedBody } from '../../../shared/serving/body-scan.js';
import { inputCount, inputParam, isServeRoute, parseJsonBody, parseServeBody, parseServeRequest, type ServeRoute } from '../../../shared/serving/serving-requests.js';
import { aliasesOf, publicModelName } from '../../../shared/slots/model-names.js';
import { ENDPOINT_FOR_KIND, resolveModelName, servingKind, type ServingKind } from '../../../shared/slots/serving.js';
import type { CatalogSlotView } from '../../../shared/artifacts/artifacts.js';
import type { Settings } from '../../../shared/settings/settings.js';
import type { SlotState } from '../../../shared/slots/state.js';
import { SLOT_IDS, SLOT_NAMES, type SlotId } from '../../../shared/slots/slots.js';
import type { App } from '../../app/app.js';
import { ServeMetrics } from '../metrics.js';
import { sendOpenAiError } from './openai-errors.js';

export type ServingApp = Pick<App, 'snapshot' | 'subscribe' | 'serve'>;

/** Bodies of /v1 requests: 256 inputs of 8192 characters, JSON-escaped, fit. */
export const MAX_SERVE_BYTES = 16 * 1024 * 1024;

const SERVE_PATHS = /^\/(?:v1(?:\/.*)?|embed_sparse|embed_all|metrics)$/;

export function isServePath(pathname: string): boolean {
  return SERVE_PATHS.test(pathname);
}

export interface ServeRoutesOptions {
  app: ServingApp;
  headers: Record<string, string>;
  /** The request's body as bytes, at most `limit` of them (else EMB-E405). */
  readBytes(req: IncomingMessage, limit: number): Promise<Buffer | ModelbayError>;
}

export interface ModelEntry {
  /** The public name: the alias, else the slot id. */
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  slot: SlotId;
  name: string;
  repo: string | null;
  revision: string | null;
  state: string;
  device: string;
  dims: number | null;
  kind: ServingKind;
  endpoint: string;
}

export function modelEntries(snapshot: AppSnapshot): ModelEntry[] {
  return snapshot.catalog.flatMap((c) => {
    const slot = snapshot.slots.find((s) => s.id === c.slot);
    if (!slot || c.repo === null) return [];
    const kind = servingKind(c.slot, c.pooling);
    return [{
      // The public name: the slot's alias where it has one (see src/shared/slots/model-names.ts).
      id: publicModelName(c.slot, snapshot.settings.settings), object: 'model' as const,
      // OpenAI's `created` is a Unix time in seconds; a slot's model exists for us once it loaded (else 0).
      created: Math.floor((slot.loadedAt ?? 0) / 1000),
      owned_by: c.repo.split('/')[0] ?? 'modelbay',
      slot: c.slot, name: slot.name, repo: c.repo, revision: c.revision, state: slot.state, device: slot.device, dims: c.dims, kind,
      endpoint: ENDPOINT_FOR_KIND[kind],
    }];
  });
}

export class ServeRoutes {
  readonly metrics: ServeMetrics;
  /** Kept from the event stream: resolving a model name must not build a full snapshot per request. */
  private catalog: CatalogSlotView[] = [];
  private names: Pick<Settings, 'slots'> = { slots: {} };
  /** Each slot's state, from the same stream: a request to a slot that is not loaded is checked before it loads one. */
  private readonly states = new Map<SlotId, SlotState>();
  private readonly off: () => void;

  constructor(private readonly options: ServeRoutesOptions) {
    this.metrics = new ServeMetrics(options.app);
    this.off = options.app.subscribe((event) => {
      if (event.type === 'snapshot') {
        this.catalog = event.snapshot.catalog;
        this.names = event.snapshot.settings.settings;
        for (const slot of event.snapshot.slots) this.states.set(slot.id, slot.state);
      } else if (event.type === 'slot') this.states.set(event.slot.id, event.slot.state);
      else if (event.type === 'catalog') this.catalog = event.catalog;
      else if (event.type === 'settings') this.names = event.settings.settings;
    });
  }

  close(): void {
    this.off();
    this.metrics.close();
  }

  /** Called after the server's Host, token and cross-site checks. */
  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    try {
      await this.route(req, res, pathname);
    } catch (e) {
      // An oversized body was not read to its end: the connection cannot carry another request.
      this.fail(res, e, e instanceof ModelbayError && e.code === 'EMB-E405' ? { connection: 'close' } : {});
    }
  }

  fail(res: ServerResponse, error: unknown, extra: Record<string, string> = {}): void {
    sendOpenAiError(res, error, { ...this.options.headers, ...extra });
  }

  private async route(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = req.method ?? 'GET';
    const expect = (wanted: 'GET' | 'POST'): void => {
      if (method !== wanted && !(wanted === 'GET' && method === 'HEAD')) {
        res.setHeader('allow', wanted);
        throw new ModelbayError('EMB-E401', `${pathname} is called with ${wanted}.`, { method });
      }
    };
    if (pathname === '/metrics') {
      expect('GET');
      const text = await this.metrics.render();
      res.writeHead(200, { ...this.options.headers, 'content-type': this.metrics.contentType, 'cache-control': 'no-store' });
      res.end(method === 'HEAD' ? undefined : text);
      return;
    }
    if (pathname === '/v1/models') {
      expect('GET');
      this.json(res, { object: 'list', data: modelEntries(this.options.app.snapshot()) });
      return;
    }
    if (pathname.startsWith('/v1/models/')) {
      expect('GET');
      const name = decodeURIComponent(pathname.slice('/v1/models/'.length));
      const { slot } = this.resolve(name);
      // The list names a slot by its alias where it has one: look the entry up by slot.
      const entry = modelEntries(this.options.app.snapshot()).find((m) => m.slot === slot);
      if (!entry) throw this.noModel(slot);
      this.json(res, entry);
      return;
    }
    if (isServeRoute(pathname)) {
      expect('POST');
      await this.serve(req, res, pathname);
      return;
    }
    throw new ModelbayError('EMB-E404', `Nothing is served at ${pathname.slice(0, 100)}: see GET /v1/models, POST /v1/embeddings, /embed_sparse, /embed_all, GET /metrics.`, {});
  }

  /**
   * Main only routes a serving request: it finds the model the body names (a scan of the
   * bytes, not a parse), takes the slot, and hands the bytes to the slot's session host,
   * which parses, checks, embeds and writes the answer's body; main writes that body out
   * unchanged. Main reads the body itself only where it answers first — a name that
   * resolves to no slot of this route, a slot that would have to load — so the errors and
   * their order are those of the rules in src/shared/serving, and a refused request
   * never loads a model.
   */
  private async serve(req: IncomingMessage, res: ServerResponse, route: ServeRoute): Promise<void> {
    const bytes = await this.body(req);
    const parse = (): unknown => parseJsonBody(bytes.toString('utf8'));
    const scanned: ScannedBody = scanServeBody(bytes, inputParam(route)) ?? (() => {
      const b = parseServeBody(route, parse());
      return { model: b.body.model, inputs: inputCount(b) };
    })();
    let target: { slot: SlotId; kind: ServingKind; id: string };
    try {
      target = this.resolve(scanned.model);
      const wanted: ServingKind = route === '/v1/embeddings' ? 'dense' : route === '/embed_sparse' ? 'sparse' : 'multi-vector';
      if (target.kind !== wanted) throw wrongEndpoint(target.slot, target.kind, route);
    } catch (e) {
      // A body that breaks the route's schema is refused for that first, as a parse before the lookup would.
      parseServeBody(route, parse());
      throw e;
    }
    const { slot, id } = target;
    const started = performance.now();
    try {
      if (this.states.get(slot) !== 'loaded') parseServeRequest(route, parse());
      const r = await this.options.app.serve(slot, { route, model: id, body: bytes, inputs: scanned.inputs });
      this.metrics.observeServe(slot, route, 'ok', (performance.now() - started) / 1000, r);
      // TEI's answer is a bare array: how many inputs were cut goes in a header.
      const cut: Record<string, string> = route !== '/v1/embeddings' && r.truncated !== undefined ? { 'x-truncated-inputs': String(r.truncated) } : {};
      this.send(res, r.body, cut);
    } catch (err) {
      this.metrics.observeServe(slot, route, 'error', (performance.now() - started) / 1000, null);
      throw err;
    }
  }

  /** `id`: the canonical name answers carry, the one GET /v1/models lists. */
  private resolve(model: string): { slot: SlotId; kind: ServingKind; id: string } {
    const aliases = aliasesOf(this.names);
    const slots = SLOT_IDS.map((id) => ({ id, name: SLOT_NAMES[id], repo: this.catalog.find((c) => c.slot === id)?.repo ?? null, alias: aliases[id] ?? null }));
    const slot = resolveModelName(model, slots);
    if (!slot) {
      throw new ModelbayError('EMB-E421', `There is no model ${JSON.stringify(model.slice(0, 100))}: use a slot's alias, id (E1…E13) or name; GET /v1/models lists them.`, { model: model.slice(0, 100), param: 'model' });
    }
    const entry = this.catalog.find((c) => c.slot === slot);
    if (!entry || entry.repo === null) throw this.noModel(slot);
    return { slot, kind: servingKind(slot, entry.pooling), id: publicModelName(slot, this.names) };
  }

  private noModel(slot: SlotId): ModelbayError {
    return new ModelbayError('EMB-E118', `${slot} has no model: choose one for it in the dashboard (or its settings) first.`, { slot, param: 'model' });
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const body = await this.options.readBytes(req, MAX_SERVE_BYTES);
    if (body instanceof ModelbayError) throw body;
    return body;
  }

  private json(res: ServerResponse, body: unknown): void {
    this.send(res, Buffer.from(JSON.stringify(body), 'utf8'));
  }

  private send(res: ServerResponse, body: Uint8Array, extra: Record<string, string> = {}): void {
    res.writeHead(200, { ...this.options.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.byteLength), 'cache-control': 'no-store', ...extra });
    res.end(body);
  }
}

function wrongEndpoint(slot: SlotId, kind: ServingKind, endpoint: string): ModelbayError {
  const what = kind === 'dense' ? 'one dense vector per text' : kind === 'sparse' ? 'sparse term weights (SPLADE)' : 'one vector per token (late interaction)';
  return new ModelbayError('EMB-E420', `${slot} gives ${what}: use POST ${ENDPOINT_FOR_KIND[kind]}, not ${endpoint}.`, { slot, kind, endpoint: ENDPOINT_FOR_KIND[kind], param: 'model' });
}
