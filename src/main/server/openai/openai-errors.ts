/**
 * Errors in OpenAI's shape ({"error":{"message","type","param","code"}}) with the HTTP
 * status OpenAI clients act on: they retry 409/429/5xx and raise 400/401/404 at once,
 * so a slot that cannot load *now* (memory, a crashed host) is 503, a request that can
 * never succeed is 4xx. The code is the stable EMB code.
 */
import type { ServerResponse } from 'node:http';
import { toModelbayError, type ErrorCode } from '../../../shared/errors/errors.js';
import { httpStatus } from '../../../shared/errors/http-status.js';

/** `/v1`'s fallback: a slot that cannot serve right now (memory, files, the Hub, its host): retry later. */
const V1_FALLBACK_STATUS = 503;

export function openAiStatus(code: ErrorCode): number {
  return httpStatus(code, V1_FALLBACK_STATUS);
}

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status >= 500) return status === 503 ? 'service_unavailable_error' : 'server_error';
  return 'invalid_request_error';
}

export function openAiErrorBody(error: unknown): { status: number; body: { error: { message: string; type: string; param: string | null; code: ErrorCode; details: Record<string, unknown> } } } {
  const e = toModelbayError(error).toJSON();
  const status = openAiStatus(e.code);
  const param = typeof e.details.param === 'string' ? e.details.param : null;
  return { status, body: { error: { message: e.message, type: errorType(status), param, code: e.code, details: e.details } } };
}

export function sendOpenAiError(res: ServerResponse, error: unknown, headers: Record<string, string>): void {
  const { status, body } = openAiErrorBody(error);
  const extra: Record<string, string> = status === 503 ? { 'retry-after': '1' } : {};
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra });
  res.end(JSON.stringify(body));
}
