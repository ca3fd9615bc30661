/**
 * A serving request inside the session host: the HTTP body as main received it is parsed
 * and checked here (the shared rules of src/shared/serving), embedded through the
 * session's batcher, and answered with the complete response body, so main only routes
 * bytes and counts. Errors keep the shapes the routes always gave: main wraps them as
 * OpenAI's error object.
 */
import { ModelbayError } from '../../shared/errors/errors.js';
import { checkTruncation, parseJsonBody, parseServeRequest } from '../../shared/serving/serving-requests.js';
import type { EmbedOutput, EmbedResult, ServeMessage, ServeResult } from '../core/runtime/protocol.js';
import { openAiEmbeddingsJson, sparseAnswer, tokenVectorsAnswer, truncateDims } from './serve-answers.js';

/** How the session embeds (its batcher, with the host's error mapping). */
export type EmbedFn = (inputs: ReadonlyArray<string | number[]>, output: EmbedOutput) => Promise<EmbedResult>;

export async function serveRequest(req: ServeMessage, embed: EmbedFn): Promise<ServeResult> {
  const body = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength);
  const request = parseServeRequest(req.route, parseJsonBody(body.toString('utf8')));
  let e: EmbedResult;
  try {
    e = await embed(request.inputs, req.route === '/embed_sparse' ? 'sparse' : 'pooled');
  } catch (err) {
    // A token id outside the vocabulary is about the request's inputs: name the field, as OpenAI's `param` does.
    if (err instanceof ModelbayError && err.code === 'EMB-E208' && err.details.param === undefined) {
      throw new ModelbayError(err.code, err.message, { ...err.details, param: request.param });
    }
    throw err;
  }
  const truncated = checkTruncation(e, req.slot, request.truncate, request.param);
  const tokens = e.tokens ? e.tokens.reduce((a, b) => a + b, 0) : request.inputs.length;
  let json: string;
  if (req.route === '/v1/embeddings') {
    json = openAiEmbeddingsJson(req.model, truncateDims(e, request.dimensions), request.encoding, tokens, request.truncate ? truncated : undefined);
  } else {
    json = JSON.stringify(req.route === '/embed_sparse' ? sparseAnswer(e, request.topK) : tokenVectorsAnswer(e));
  }
  return {
    body: Buffer.from(json, 'utf8'),
    inputs: request.inputs.length,
    tokens,
    ...(request.truncate ? { truncated } : {}),
    hostMs: e.hostMs,
    ...(e.batch ? { batch: e.batch } : {}),
  };
}
