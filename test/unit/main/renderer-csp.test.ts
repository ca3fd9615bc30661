/** One policy for the dashboard: the header (Electron session, headless server) and index.html's meta tag agree. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metaCsp, RENDERER_CSP } from '../../../src/main/server/renderer-csp.js';

const directives = (policy: string): Map<string, string> =>
  new Map(policy.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0] as string, d]));

describe('renderer CSP', () => {
  it('the header policy is complete: nothing loads but our own files, no plugins, no base, no framing, no form posts', () => {
    const header = directives(RENDERER_CSP);
    expect(header.get('default-src')).toBe("default-src 'self'");
    expect(header.get('script-src')).toBe("script-src 'self'");
    expect(header.get('object-src')).toBe("object-src 'none'");
    expect(header.get('base-uri')).toBe("base-uri 'none'");
    expect(header.get('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(header.get('form-action')).toBe("form-action 'none'");
    expect(header.get('connect-src')).toBe("connect-src 'self'");
  });

  it('index.html carries the same policy, less what a meta tag cannot carry (browsers ignore frame-ancestors there)', () => {
    const html = readFileSync(join(import.meta.dirname, '../../../src/renderer/index.html'), 'utf8');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(metaCsp());
    const inMeta = directives(meta ?? '');
    for (const [name, value] of directives(RENDERER_CSP)) {
      if (name === 'frame-ancestors') expect(inMeta.has(name)).toBe(false);
      else expect(inMeta.get(name)).toBe(value);
    }
  });
});
