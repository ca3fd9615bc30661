/**
 * The session-host protocol: what main and a host process say to each other. Both ends
 * validate with these schemas, because a message crosses a process boundary (and a
 * crashed or foreign process can send anything). Embeddings travel as Float32Array:
 * the structured clone of `serialization: 'advanced'` / utilityProcess copies the bytes
 * once, with no JSON of numbers.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode, type SerializedError } from '../../../shared/errors/errors.js';
import { isServeRoute, SERVE_ROUTES } from '../../../shared/serving/serving-requests.js';

export const PoolingSchema = z.enum(['mean', 'cls', 'none']);
export type PoolingMode = z.infer<typeof PoolingSchema>;

export const ExecutionProviderSchema = z.enum(['cuda', 'cpu']);
export type ExecutionProvider = z.infer<typeof ExecutionProviderSchema>;

export const HostLoadOptionsSchema = z.object({
  intraOpNumThreads: z.number().int().min(1).max(256).optional(),
  interOpNumThreads: z.number().int().min(1).max(256).optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
  /** Longer inputs are truncated (keeping the closing special token). */
  maxSequenceLength: z.number().int().min(2).max(65_536).optional(),
  /** Texts per onnxruntime run, and at most per merged batch of requests. */
  batchSize: z.number().int().min(1).max(4096).optional(),
  /** Dynamic batching: tokens one merged run may hold, and how long an idle session waits for neighbours. */
  maxBatchTokens: z.number().int().min(1).max(1_048_576).optional(),
  batchWaitMs: z.number().min(0).max(1000).optional(),
  /** Run one tiny batch after creation so the measurement includes the first allocations. */
  warmup: z.boolean().optional(),
});
export type HostLoadOptions = z.infer<typeof HostLoadOptionsSchema>;

const id = z.number().int().nonnegative();
/** Bytes: a Buffer from Node's IPC, a Uint8Array from Electron's, views of a frame from the data channel. */
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes');

/** A text, or token ids the caller produced (OpenAI's token-array input). */
export const EmbedInputSchema = z.union([z.string(), z.array(z.number().int().nonnegative()).min(1)]);
export type EmbedInput = z.infer<typeof EmbedInputSchema>;

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/**
 * EmbedInputSchema's rule, by hand: it runs for every text of every request on both
 * sides of the boundary, where a schema walk per text cost more than the rest of the check.
 */
export function isEmbedInput(x: unknown): x is EmbedInput {
  if (typeof x === 'string') return true;
  if (!Array.isArray(x) || x.length === 0) return false;
  for (const id of x as unknown[]) if (!isIndex(id)) return false;
  return true;
}
/** pooled: as the slot's pooling says; sparse: SPLADE term weights from token-level logits. */
export const EmbedOutputSchema = z.enum(['pooled', 'sparse']);
export type EmbedOutput = z.infer<typeof EmbedOutputSchema>;

export const HostRequestSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('load'),
    id,
    session: z.string().min(1),
    model: z.string().min(1),
    externalData: z.array(z.string().min(1)),
    tokenizer: z.string().min(1).nullable(),
    pooling: PoolingSchema.nullable(),
    dims: z.number().int().positive().nullable(),
    provider: ExecutionProviderSchema,
    deviceId: z.number().int().nonnegative(),
    /** The session's GPU memory limit (its reservation with headroom); null or absent on the CPU. */
    memoryLimitBytes: z.number().int().positive().nullable().optional(),
    options: HostLoadOptionsSchema,
  }),
  z.object({ kind: z.literal('unload'), id, session: z.string().min(1) }),
  z.object({ kind: z.literal('embed'), id, session: z.string().min(1), texts: z.array(EmbedInputSchema).min(1), output: EmbedOutputSchema.optional() }),
  /**
   * A serving request as it came over HTTP: the host parses and checks the body, embeds, and
   * answers with the response body's bytes, which main writes unchanged. `slot` names the
   * slot in messages; `model` is the name the answer carries.
   */
  z.object({ kind: z.literal('serve'), id, session: z.string().min(1), slot: z.string().min(1), route: z.enum(SERVE_ROUTES), model: z.string(), body: bytes }),
  z.object({ kind: z.literal('stats'), id }),
  z.object({ kind: z.literal('shutdown'), id }),
]);
export type HostRequest = z.infer<typeof HostRequestSchema>;
export type HostRequestKind = HostRequest['kind'];
export type LoadMessage = Extract<HostRequest, { kind: 'load' }>;
export type EmbedMessage = Extract<HostRequest, { kind: 'embed' }>;
export type ServeMessage = Extract<HostRequest, { kind: 'serve' }>;

/** The embed request checked by hand (the hot path); anything it refuses goes through HostRequestSchema for the message. */
export function asEmbedMessage(raw: unknown): EmbedMessage | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const m = raw as Record<string, unknown>;
  if (m.kind !== 'embed' || !isIndex(m.id) || typeof m.session !== 'string' || m.session.length === 0) return null;
  if (m.output !== undefined && m.output !== 'pooled' && m.output !== 'sparse') return null;
  const texts = m.texts;
  if (!Array.isArray(texts) || texts.length === 0) return null;
  for (const t of texts as unknown[]) if (!isEmbedInput(t)) return null;
  return { kind: 'embed', id: m.id, session: m.session, texts: texts as EmbedInput[], ...(m.output === undefined ? {} : { output: m.output }) };
}

/** The serve request checked by hand, as asEmbedMessage does. */
export function asServeMessage(raw: unknown): ServeMessage | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const m = raw as Record<string, unknown>;
  if (m.kind !== 'serve' || !isIndex(m.id) || typeof m.session !== 'string' || m.session.length === 0) return null;
  if (typeof m.slot !== 'string' || m.slot.length === 0 || typeof m.route !== 'string' || !isServeRoute(m.route) || typeof m.model !== 'string') return null;
  if (!(m.body instanceof Uint8Array)) return null;
  return { kind: 'serve', id: m.id, session: m.session, slot: m.slot, route: m.route, model: m.model, body: m.body };
}

export const LoadResultSchema = z.object({
  inputNames: z.array(z.string()),
  outputNames: z.array(z.string()),
  /** The output the embedder reads. */
  output: z.string(),
  createMs: z.number().nonnegative(),
  warmupMs: z.number().nonnegative().nullable(),
  rssBeforeBytes: z.number().nonnegative(),
  rssAfterBytes: z.number().nonnegative(),
  pid: z.number().int().positive(),
});
export type LoadResult = z.infer<typeof LoadResultSchema>;

/** The dynamic batch a request ran in: its inputs and requests (1 = ran alone). */
const BatchSchema = z.object({ inputs: z.number().int().positive(), requests: z.number().int().positive() });

export const EmbedResultSchema = z.object({
  dims: z.number().int().positive(),
  count: z.number().int().nonnegative(),
  /** count × dims floats (pooled), or Σ lengths × dims floats (token-level). */
  data: z.instanceof(Float32Array),
  /** Tokens per text for token-level output (pooling `none`); null for pooled vectors. */
  lengths: z.array(z.number().int().nonnegative()).nullable(),
  /** Tokens per input as the model saw them (after truncation): OpenAI's usage counts. */
  tokens: z.array(z.number().int().nonnegative()).optional(),
  /** Tokens cut from each input past the model's maximum length; absent when nothing was cut. */
  truncated: z.array(z.number().int().nonnegative()).optional(),
  /** Time the host spent on the request (tokenize + run + pool); the rest of a call is IPC. */
  hostMs: z.number().nonnegative(),
  /** The dynamic batch this request ran in: its inputs and requests (1 = ran alone). */
  batch: BatchSchema.optional(),
});
export type EmbedResult = z.infer<typeof EmbedResultSchema>;

const isIndexList = (x: unknown): x is number[] => {
  if (!Array.isArray(x)) return false;
  for (const n of x as unknown[]) if (!isIndex(n)) return false;
  return true;
};

/**
 * EmbedResultSchema's rule by hand, plus the check that the floats are as many as the
 * counts say: every embed reply is checked, and this is main's hot path.
 */
export function isEmbedResult(v: unknown): v is EmbedResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  if (!isIndex(r.dims) || r.dims === 0 || !isIndex(r.count) || !(r.data instanceof Float32Array)) return false;
  if (typeof r.hostMs !== 'number' || !(r.hostMs >= 0)) return false;
  if (r.tokens !== undefined && !isIndexList(r.tokens)) return false;
  if (r.truncated !== undefined && (!isIndexList(r.truncated) || r.truncated.length !== r.count)) return false;
  if (r.batch !== undefined && !isBatch(r.batch)) return false;
  let vectors = r.count;
  if (r.lengths !== null) {
    if (!isIndexList(r.lengths) || r.lengths.length !== r.count) return false;
    vectors = r.lengths.reduce((a, b) => a + b, 0);
  }
  return r.data.length === vectors * r.dims;
}

export const ServeResultSchema = z.object({
  /** The HTTP answer's body (JSON), written by main as it is. */
  body: bytes,
  /** Inputs embedded, and their tokens as the model saw them (usage and /metrics). */
  inputs: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative(),
  /** How many inputs were cut, when the request allowed cutting (`truncate: true`). */
  truncated: z.number().int().nonnegative().optional(),
  hostMs: z.number().nonnegative(),
  batch: BatchSchema.optional(),
});
export type ServeResult = z.infer<typeof ServeResultSchema>;

/** ServeResultSchema's rule by hand: every serve reply is checked on main's hot path. */
export function isServeResult(v: unknown): v is ServeResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  if (!(r.body instanceof Uint8Array) || !isIndex(r.inputs) || !isIndex(r.tokens)) return false;
  if (r.truncated !== undefined && !isIndex(r.truncated)) return false;
  if (typeof r.hostMs !== 'number' || !(r.hostMs >= 0)) return false;
  return r.batch === undefined || isBatch(r.batch);
}

function isBatch(v: unknown): boolean {
  const b = v as Record<string, unknown> | null;
  return typeof b === 'object' && b !== null && isIndex(b.inputs) && isIndex(b.requests) && b.inputs > 0 && b.requests > 0;
}

export const UnloadResultSchema = z.object({ remaining: z.number().int().nonnegative() });
export type UnloadResult = z.infer<typeof UnloadResultSchema>;

export const HostStatsSchema = z.object({
  pid: z.number().int().positive(),
  rssBytes: z.number().nonnegative(),
  heapUsedBytes: z.number().nonnegative(),
  uptimeMs: z.number().nonnegative(),
  sessions: z.array(z.object({
    session: z.string(),
    inputNames: z.array(z.string()),
    outputNames: z.array(z.string()),
    provider: ExecutionProviderSchema,
    embedded: z.number().int().nonnegative(),
  })),
});
export type HostStats = z.infer<typeof HostStatsSchema>;

export const ShutdownResultSchema = z.object({ released: z.number().int().nonnegative() });

const SerializedErrorSchema = z.object({
  code: z.string().refine((c): c is ErrorCode => Object.prototype.hasOwnProperty.call(ERROR_CODES, c)),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export const HostMessageSchema = z.union([
  z.object({ kind: z.literal('ready'), pid: z.number().int().positive() }),
  z.object({ kind: z.literal('reply'), id, ok: z.literal(true), value: z.unknown() }),
  z.object({ kind: z.literal('reply'), id, ok: z.literal(false), error: SerializedErrorSchema }),
]);
export type HostMessage =
  | { kind: 'ready'; pid: number }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: SerializedError };

/**
 * HostMessageSchema by hand for the replies that succeeded (every embed and serve answer
 * passes here, and a union schema's walk cost more than the rest of the check); the
 * rest — `ready`, failures — go through the schema.
 */
export function parseHostMessage(raw: unknown): HostMessage | null {
  if (typeof raw === 'object' && raw !== null) {
    const m = raw as Record<string, unknown>;
    if (m.kind === 'reply' && m.ok === true && isIndex(m.id)) return { kind: 'reply', id: m.id, ok: true, value: m.value };
  }
  const parsed = HostMessageSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** The value schema of each request's reply. */
export const REPLY_SCHEMAS = {
  load: LoadResultSchema,
  unload: UnloadResultSchema,
  embed: EmbedResultSchema,
  serve: ServeResultSchema,
  stats: HostStatsSchema,
  shutdown: ShutdownResultSchema,
} as const;

export type ReplyOf<K extends HostRequestKind> = z.infer<(typeof REPLY_SCHEMAS)[K]>;
