import { isErrorCode, serializeError, type SerializedError } from '../../../shared/errors/errors.js';

/**
 * Whatever a command's promise rejected with, as the `{ code, message, details }` the
 * contract promises: IPC and HTTP clients may hand back a ModelbayError, its JSON, or a
 * plain Error when the transport itself failed.
 */
export function toSerializedError(reason: unknown): SerializedError {
  if (typeof reason === 'object' && reason !== null) {
    const r = reason as { code?: unknown; message?: unknown; details?: unknown };
    if (isErrorCode(r.code) && typeof r.message === 'string') {
      const details = typeof r.details === 'object' && r.details !== null ? (r.details as Record<string, unknown>) : {};
      return { code: r.code, message: r.message, details };
    }
  }
  return serializeError(reason);
}
