import { describe, expect, it } from 'vitest';
import { servingBanner } from '../../../src/main/server/serving-banner.js';

const input = { url: 'http://127.0.0.1:7878/', dashboardUrl: 'http://127.0.0.1:7878/?token=SECRET-TOKEN', tokenPath: '/home/u/.config/modelbay/server-token' };

describe('the serving banner', () => {
  it('on a terminal: the URL with the token, one click away', () => {
    expect(servingBanner({ ...input, isTTY: true })).toBe('Modelbay is serving the dashboard at http://127.0.0.1:7878/?token=SECRET-TOKEN\n');
  });

  it('elsewhere: the bare URL and how to get the token, never the token', () => {
    const text = servingBanner({ ...input, isTTY: false });
    expect(text).not.toContain('SECRET-TOKEN');
    expect(text).toContain('serving the dashboard at http://127.0.0.1:7878/\n');
    expect(text).toContain('`modelbay token`');
    expect(text).toContain('/home/u/.config/modelbay/server-token');
  });

  it('with a data folder other than the default, the token command names it (quoted for the shell when it must be)', () => {
    expect(servingBanner({ ...input, isTTY: false, dataDir: '/tmp/modelbay-demo-x/data' })).toContain('`modelbay token --data-dir /tmp/modelbay-demo-x/data`');
    expect(servingBanner({ ...input, isTTY: false, dataDir: "/home/u/my data/it's" })).toContain("`modelbay token --data-dir '/home/u/my data/it'\\''s'`");
  });
});
