/**
 * The bodies of the serving endpoints — OpenAI's /v1/embeddings and TEI-style
 * /embed_sparse and /embed_all — and the one set of rules that checks them. The session
 * host applies them to every request it serves; main applies the same rules only where it
 * must answer before a host sees the request (a slot that would have to load first, a
 * model name that resolves to nothing), so a refused request never loads a model.
 */
import { z } from 'zod';
import { MAX_EMBED_CHARS, MAX_EMBED_TEXTS } from '../contract/api.js';
import { ModelbayError } from '../errors/errors.js';
import { count } from '../values/counts.js';

export const SERVE_ROUTES = ['/v1/embeddings', '/embed_sparse', '/embed_all'] as const;
export type ServeRoute = (typeof SERVE_ROUTES)[number];

export function isServeRoute(path: string): path is ServeRoute {
  return (SERVE_ROUTES as readonly string[]).includes(path);
}

/** A text, or token ids the caller produced (OpenAI's token-array input). */
export type ServeInput = string | number[];

const tokenIds = z.array(z.number().int().nonnegative()).min(1);
const inputs = z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)]);

/** OpenAI's body; unknown fields (`user`, vendor extras) are ignored as OpenAI does. */
export const EmbeddingsBodySchema = z.object({
  model: z.string().min(1).max(256),
  input: inputs,
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  /** As text-embeddings-inference: cut inputs past the model's maximum length instead of refusing them. */
  truncate: z.boolean().optional(),
}).loose();

/** TEI's body (`inputs`), plus the slot to use: one server holds thirteen models. */
export const TeiBodySchema = z.object({
  model: z.string().min(1).max(256),
  inputs,
  /** /embed_sparse: keep only the k largest weights per text. */
  top_k: z.number().int().positive().max(1_000_000).optional(),
  truncate: z.boolean().optional(),
}).loose();

/** A request body as JSON: EMB-E401 naming the parser's complaint; an empty body is no input. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ModelbayError('EMB-E401', `The request body is not valid JSON: ${(e as Error).message}`, {});
  }
}

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const path = first?.path.join('.') ?? '';
    throw new ModelbayError('EMB-E401', `Invalid request: ${path || 'body'}: ${first?.message ?? 'invalid value'}.`, { param: path || null });
  }
  return parsed.data;
}

/** One input or many, as a list; 413 past the limits the dashboard's embed command has too. */
export function inputList(input: z.infer<typeof inputs>): ServeInput[] {
  const list: ServeInput[] = typeof input === 'string' ? [input] : isTokenArray(input) ? [input] : input;
  if (list.length > MAX_EMBED_TEXTS) {
    throw new ModelbayError('EMB-E405', `The request has ${count(list.length, 'input')}; send at most ${MAX_EMBED_TEXTS} per request.`, { inputs: list.length, limit: MAX_EMBED_TEXTS, param: 'input' });
  }
  list.forEach((item, i) => {
    if (item.length > MAX_EMBED_CHARS) {
      const unit = typeof item === 'string' ? 'characters' : 'tokens';
      throw new ModelbayError('EMB-E405', `Input ${i} has ${item.length} ${unit}; the limit is ${MAX_EMBED_CHARS}.`, { index: i, length: item.length, limit: MAX_EMBED_CHARS, param: 'input' });
    }
  });
  return list;
}

function isTokenArray(v: unknown[]): v is number[] {
  return v.length > 0 && typeof v[0] === 'number';
}

/** A serving request, checked: what the host embeds and how it answers. */
export interface ServeRequest {
  model: string;
  inputs: ServeInput[];
  /** The body field that holds the inputs, named by errors about them. */
  param: 'input' | 'inputs';
  truncate: boolean;
  /** /v1/embeddings */
  encoding: 'float' | 'base64';
  dimensions?: number;
  /** /embed_sparse */
  topK?: number;
}

/** The body field a route's inputs come in. */
export function inputParam(route: ServeRoute): 'input' | 'inputs' {
  return route === '/v1/embeddings' ? 'input' : 'inputs';
}

export type ServeBody =
  | { route: '/v1/embeddings'; body: z.infer<typeof EmbeddingsBodySchema> }
  | { route: '/embed_sparse' | '/embed_all'; body: z.infer<typeof TeiBodySchema> };

/** The route's schema (the first check a body meets, before its model is looked up). */
export function parseServeBody(route: ServeRoute, json: unknown): ServeBody {
  return route === '/v1/embeddings' ? { route, body: parseBody(EmbeddingsBodySchema, json) } : { route, body: parseBody(TeiBodySchema, json) };
}

/** How many inputs a body holds (before the limits are checked). */
export function inputCount(b: ServeBody): number {
  const input = b.route === '/v1/embeddings' ? b.body.input : b.body.inputs;
  return typeof input === 'string' || typeof input[0] === 'number' ? 1 : input.length;
}

/** The schema, then the input limits: every rule a serving body must meet; throws the first one it breaks. */
export function parseServeRequest(route: ServeRoute, json: unknown): ServeRequest {
  const b = parseServeBody(route, json);
  if (b.route === '/v1/embeddings') {
    const body = b.body;
    return {
      model: body.model, inputs: inputList(body.input), param: 'input', truncate: body.truncate ?? false, encoding: body.encoding_format ?? 'float',
      ...(body.dimensions === undefined ? {} : { dimensions: body.dimensions }),
    };
  }
  const body = b.body;
  return {
    model: body.model, inputs: inputList(body.inputs), param: 'inputs', truncate: body.truncate ?? false, encoding: 'float',
    ...(body.top_k === undefined ? {} : { topK: body.top_k }),
  };
}

/**
 * An input longer than the model takes is refused unless the request allowed cutting it
 * (OpenAI answers 400 past the context length; text-embeddings-inference refuses unless
 * `truncate` is set). Returns how many inputs were cut.
 */
export function checkTruncation(e: { tokens?: number[]; truncated?: number[] }, slot: string, allowed: boolean, param: string): number {
  const cut = e.truncated ?? [];
  const first = cut.findIndex((n) => n > 0);
  if (first >= 0 && !allowed) {
    const limit = e.tokens?.[first] ?? 0;
    const tokens = limit + (cut[first] ?? 0);
    throw new ModelbayError('EMB-E430', `Input ${first} has ${count(tokens, 'token')}; ${slot}'s model takes at most ${limit}: shorten it, or send "truncate": true to embed its first ${limit} tokens.`, { index: first, tokens, limit, param });
  }
  return cut.filter((n) => n > 0).length;
}

/**
 * Codes that refuse the request, not the model: the model served (or would have), the
 * caller sent something it cannot take. They count as errors in /metrics but never
 * against the slot's health.
 */
export const REFUSED_REQUEST_CODES = ['EMB-E401', 'EMB-E405', 'EMB-E208', 'EMB-E422', 'EMB-E430'] as const;
