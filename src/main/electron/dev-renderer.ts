/**
 * Whether the desktop app loads its renderer from a dev server. That page gets the
 * preload bridge, is trusted for IPC and runs without the strict CSP, so the URL in
 * ELECTRON_RENDERER_URL is honoured only when the developer asked for dev mode
 * (MODELBAY_DEV=1, which `electron-vite dev` runs under), in an unpackaged app, and only
 * on a loopback address: a stray variable in a user's environment cannot point the app
 * at a remote page.
 */
import { isLoopbackAddress } from '../server/request-guard.js';

export interface DevRendererDecision {
  /** The dev server URL to load, or null for the built renderer. */
  url: string | null;
  /** Why a set ELECTRON_RENDERER_URL was ignored, for the log; null when unset or used. */
  ignored: string | null;
}

export function devRendererUrl(env: NodeJS.ProcessEnv, isPackaged: boolean): DevRendererDecision {
  const raw = env['ELECTRON_RENDERER_URL'];
  if (!raw) return { url: null, ignored: null };
  if (isPackaged) return { url: null, ignored: 'ELECTRON_RENDERER_URL is ignored by a packaged app.' };
  if (env['MODELBAY_DEV'] !== '1') return { url: null, ignored: 'ELECTRON_RENDERER_URL is ignored unless MODELBAY_DEV=1 (dev mode) is set.' };
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { url: null, ignored: 'ELECTRON_RENDERER_URL is not a URL: ignored.' };
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !isLoopbackAddress(host) || parsed.username || parsed.password) {
    return { url: null, ignored: `ELECTRON_RENDERER_URL must be an http(s) address on this machine (127.0.0.1, localhost, ::1); ${parsed.protocol}//${parsed.host} is ignored.` };
  }
  return { url: parsed.href, ignored: null };
}
