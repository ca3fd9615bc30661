import type { ModelbayApi } from '../../shared/contract/api.js';

declare global {
  interface Window {
    /** Set by the preload inside Electron; absent in a browser (the HTTP client is used). */
    modelbay?: ModelbayApi;
  }
}

export {};
