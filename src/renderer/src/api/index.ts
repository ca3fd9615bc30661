/**
 * The one API object the dashboard talks to: the preload's window.modelbay inside
 * Electron, the HTTP client in a browser. Errors from the preload cross contextBridge as
 * plain Errors; they are turned back into ModelbayErrors here so components can read
 * `code` and `details` either way.
 */
import { COMMAND_NAMES, type ModelbayApi } from '../../../shared/contract/api.js';
import { decodeBridgeError } from '../../../shared/contract/ipc.js';
import { createHttpApi } from './http-client.js';

let api: ModelbayApi | null = null;

function overBridge(bridge: ModelbayApi): ModelbayApi {
  const out: Record<string, unknown> = { subscribe: (listener: Parameters<ModelbayApi['subscribe']>[0]) => bridge.subscribe(listener) };
  for (const name of COMMAND_NAMES) {
    const fn = bridge[name] as (input: unknown) => Promise<unknown>;
    out[name] = (input: unknown) => fn(input).catch((e: unknown) => {
      throw decodeBridgeError(e);
    });
  }
  return out as ModelbayApi;
}

export function getApi(): ModelbayApi {
  api ??= typeof window !== 'undefined' && window.modelbay ? overBridge(window.modelbay) : createHttpApi();
  return api;
}

export { createHttpApi } from './http-client.js';
