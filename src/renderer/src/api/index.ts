// Stub for the ui branch: the app branch's version (Electron preload or HTTP + SSE) replaces it at merge.
import type { ModelbayApi } from '../../../shared/api.js';

declare global {
  interface Window {
    modelbay?: ModelbayApi;
  }
}

export function getApi(): ModelbayApi {
  const api = window.modelbay;
  if (!api) throw new Error('window.modelbay is missing: open the dashboard from the Modelbay app or its headless server.');
  return api;
}
