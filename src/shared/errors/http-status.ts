/**
 * One table from error code to HTTP status, for every HTTP transport. A code the table
 * does not name gets the fallback its transport states: the dashboard API (`/api`) says
 * 422 (a valid request the app could not carry out), the serving API (`/v1`) says 503 (the
 * slot cannot serve now: OpenAI clients retry it), a raw socket error says 400.
 */
import type { ErrorCode } from './errors.js';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  'EMB-E002': 400, 'EMB-E205': 400, 'EMB-E208': 400, 'EMB-E401': 400, 'EMB-E406': 400, 'EMB-E411': 400, 'EMB-E420': 400, 'EMB-E422': 400, 'EMB-E430': 400,
  'EMB-E402': 401,
  'EMB-E403': 403, 'EMB-E410': 403,
  'EMB-E001': 404, 'EMB-E118': 404, 'EMB-E404': 404, 'EMB-E421': 404,
  'EMB-E413': 408,
  'EMB-E004': 409, 'EMB-E007': 409, 'EMB-E204': 409,
  'EMB-E405': 413,
  'EMB-E414': 431,
  'EMB-E124': 500, 'EMB-E207': 500, 'EMB-E500': 500,
  'EMB-E412': 503,
};

/** The HTTP status of an error code; `fallback` is the transport's own for codes not in the table. */
export function httpStatus(code: ErrorCode, fallback: number): number {
  return HTTP_STATUS[code] ?? fallback;
}
