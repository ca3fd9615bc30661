/**
 * What the preload and main agree on for Electron IPC: the channel names, and how a
 * command's error crosses contextBridge. The bridge copies only an Error's message, so
 * the serialised error rides inside the message and the renderer turns it back into a
 * ModelbayError with its code and details (decodeBridgeError).
 */
import { ModelbayError, type SerializedError } from '../errors/errors.js';

/** invoke(COMMAND_CHANNEL, name, input) → CommandReply. */
export const COMMAND_CHANNEL = 'modelbay:command';
/** main → renderer: one AppEvent per message. */
export const EVENT_CHANNEL = 'modelbay:event';

const MARKER = 'MODELBAY_ERROR ';

export function encodeBridgeError(error: SerializedError): Error {
  return new Error(`${MARKER}${JSON.stringify(error)}`);
}

/** The ModelbayError inside a rejection from window.modelbay (or any other thrown value). */
export function decodeBridgeError(value: unknown): ModelbayError {
  if (value instanceof ModelbayError) return value;
  const message = value instanceof Error ? value.message : typeof value === 'string' ? value : '';
  const at = message.indexOf(MARKER);
  if (at >= 0) {
    try {
      return ModelbayError.fromJSON(JSON.parse(message.slice(at + MARKER.length)));
    } catch {
      // Fall through: a message that only looked like ours.
    }
  }
  return new ModelbayError('EMB-E500', message || 'The app did not answer.', {});
}
