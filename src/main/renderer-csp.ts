/**
 * The Content-Security-Policy of the dashboard, in Electron (session headers) and in a
 * browser (the headless server): scripts only from our own files, no framing, no
 * plugins, connections only back to where the page came from. Inline styles stay
 * allowed because the chart library sets style attributes.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');
