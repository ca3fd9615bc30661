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

/** Directives a browser ignores (and warns about) in a <meta> policy: they only work as a header. */
const HEADER_ONLY = ['frame-ancestors', 'report-uri', 'sandbox'];

/**
 * The policy for index.html's meta tag: the header's, less what only a header can carry.
 * The meta tag matters where no header arrives (the renderer loaded from file:// in the
 * desktop app); a unit test keeps index.html equal to this.
 */
export function metaCsp(policy: string = RENDERER_CSP): string {
  return policy
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d !== '' && !HEADER_ONLY.includes(d.split(/\s+/)[0] ?? ''))
    .join('; ');
}
