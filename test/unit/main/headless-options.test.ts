import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelbayError } from '../../../src/shared/errors/errors.js';
import { defaultDataDir, parseHeadlessOptions } from '../../../src/main/headless/options.js';

describe('headless flags and environment', () => {
  it('defaults: 127.0.0.1:7878, ~/.config/modelbay, no warning', () => {
    const o = parseHeadlessOptions([], {});
    expect(o).toMatchObject({ host: '127.0.0.1', port: 7878, dataDir: join(homedir(), '.config', 'modelbay'), exposureWarning: null });
  });

  it('environment: MODELBAY_PORT, MODELBAY_DATA_DIR, XDG_CONFIG_HOME', () => {
    expect(parseHeadlessOptions([], { MODELBAY_PORT: '9000', MODELBAY_DATA_DIR: '/srv/mb' })).toMatchObject({ port: 9000, dataDir: '/srv/mb' });
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/x/cfg' })).toBe('/x/cfg/modelbay');
  });

  it('flags win over the environment', () => {
    const o = parseHeadlessOptions(['--port', '0', '--data-dir', 'rel/dir'], { MODELBAY_PORT: '9000', MODELBAY_DATA_DIR: '/srv/mb' });
    expect(o.port).toBe(0);
    expect(o.dataDir).toBe(resolve('rel/dir'));
  });

  it('a non-loopback --host is allowed with a loud warning', () => {
    expect(parseHeadlessOptions(['--host', 'localhost'], {}).exposureWarning).toBeNull();
    const o = parseHeadlessOptions(['--host', '0.0.0.0'], {});
    expect(o.host).toBe('0.0.0.0');
    expect(o.exposureWarning).toContain('WARNING');
    expect(o.exposureWarning).toContain('ssh -L');
  });

  it.each([[['--port', 'abc']], [['--port', '70000']], [['--port', '-1']], [['--bogus']], [['serve']]])('%j is refused with the usage', (argv) => {
    const err = (() => {
      try {
        parseHeadlessOptions(argv, {});
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ModelbayError);
    expect((err as ModelbayError).code).toBe('EMB-E002');
  });
});
