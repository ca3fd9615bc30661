/** `modelbay demo`'s flags: defaults, each flag, and the usage errors (exit 2) with the usage text. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_USAGE, parseDemoOptions } from '../../../src/devkit/demo/options.js';
import { isModelbayError } from '../../../src/shared/errors/errors.js';

function usageError(argv: string[], env: NodeJS.ProcessEnv = {}): { message: string; details: Record<string, unknown> } {
  try {
    parseDemoOptions(argv, env);
  } catch (e) {
    if (!isModelbayError(e)) throw e;
    expect(e.code).toBe('EMB-E002');
    return { message: e.message, details: e.details };
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('modelbay demo options', () => {
  it('defaults: port 7878, any free Hub port, no fake GPU, a fresh data folder', () => {
    expect(parseDemoOptions([], {})).toEqual({ port: 7878, hubPort: 0, fakeGpu: false, dataDir: null, json: false, help: false });
  });

  it('takes every flag', () => {
    expect(parseDemoOptions(['--port', '0', '--hub-port', '18080', '--fake-gpu', '--data-dir', 'demo-data', '--json'], {})).toEqual({
      port: 0, hubPort: 18080, fakeGpu: true, dataDir: resolve('demo-data'), json: true, help: false,
    });
    expect(parseDemoOptions(['-h'], {}).help).toBe(true);
  });

  it('MODELBAY_PORT sets the port as for serve; empty is unset; the flag wins', () => {
    expect(parseDemoOptions([], { MODELBAY_PORT: '9100' }).port).toBe(9100);
    expect(parseDemoOptions([], { MODELBAY_PORT: '' }).port).toBe(7878);
    expect(parseDemoOptions(['--port', '0'], { MODELBAY_PORT: '9100' }).port).toBe(0);
  });

  it('the data folder never comes from MODELBAY_DATA_DIR: the demo must not take over the real one', () => {
    expect(parseDemoOptions([], { MODELBAY_DATA_DIR: '/home/u/.config/modelbay' }).dataDir).toBeNull();
  });

  it.each([
    [['--port', 'x'], 'The port must be a number from 0 to 65535; got "x"'],
    [['--port', '70000'], 'The port must be a number from 0 to 65535'],
    [['--port', '-1'], '--port'],
    [['--hub-port', 'abc'], '--hub-port must be a number from 0 to 65535; got "abc"'],
    [['--hub-port', '1.5'], '--hub-port must be a number'],
    [['--port', '9000', '--hub-port', '9000'], 'cannot share port 9000'],
    [['--data-dir', ''], '--data-dir needs a folder'],
    [['--data-dir'], "Option '--data-dir <value>' argument missing"],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--fake-gpu=yes'], '--fake-gpu'],
    [['extra'], 'extra'],
  ])('%j is a usage error naming the problem, with the usage', (argv, says) => {
    const err = usageError(argv);
    expect(err.message).toContain(says);
    expect(err.message).toContain(DEMO_USAGE);
    expect(err.details['usage']).toBe(true);
  });

  it('a bad MODELBAY_PORT is a usage error too', () => {
    expect(usageError([], { MODELBAY_PORT: 'abc' }).message).toContain('got "abc"');
  });

  it('the usage names every flag', () => {
    for (const flag of ['--port N', '--hub-port N', '--fake-gpu', '--data-dir DIR', '--json']) expect(DEMO_USAGE).toContain(flag);
  });
});
