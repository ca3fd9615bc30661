/**
 * Errors in OpenAI's shape ({"error":{"message","type","param","code"}}) with the HTTP
 * status OpenAI clients act on: they retry 409/429/5xx and raise 400/401/404 at once,
 * so a slot that cannot load *now* (memory, a crashed host) is 503, a request that can
 * never succeed is 4xx. The code is the stable EMB code.
 */
import type { ServerResponse } from 'node:http';
import { toModelbayError, type ErrorCode } from '../../../shared/errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  'EMB-E001': 404, 'EMB-E421': 404, 'EMB-E404': 404, 'EMB-E118': 404,
  'EMB-E002': 400, 'EMB-E401': 400, 'EMB-E406': 400, 'EMB-E208': 400, 'EMB-E420': 400, 'EMB-E422': 400, 'EMB-E205': 400, 'EMB-E430': 400,
  'EMB-E402': 401,
  'EMB-E403': 403, 'EMB-E410': 403,
  'EMB-E411': 400, 'EMB-E414': 431,
  'EMB-E004': 409, 'EMB-E007': 409, 'EMB-E204': 409,
  'EMB-E405': 413,
  'EMB-E207': 500, 'EMB-E500': 500,
};

/** Anything else is a slot that cannot serve right now (memory, files, the Hub, its host): retry later. */
export function openAiStatus(code: ErrorCode): number {
  return STATUS[code] ?? 503;
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
