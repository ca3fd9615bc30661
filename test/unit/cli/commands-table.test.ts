import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from '../../../src/cli/commands-table.js';

describe('modelbay argument parsing', () => {
  it('parses slots, flags and common options', () => {
    expect(parseCommand(['evict', 'e3', '--force', '--json', '--port', '9000'])).toMatchObject({ command: 'evict', slots: ['E3'], json: true, port: '9000', flags: { force: true } });
    expect(parseCommand(['pull', '--all'])).toMatchObject({ command: 'pull', slots: [], flags: { all: true } });
    expect(parseCommand(['embed', 'E1', 'a b', 'c'])).toMatchObject({ slots: ['E1'], texts: ['a b', 'c'] });
    expect(parseCommand(['verify'])).toMatchObject({ slots: [] });
    expect(parseCommand(['serve', '--port', '0'])).toMatchObject({ command: 'serve', rest: ['--port', '0'] });
    expect(parseCommand(['demo', '--hub-port', '0', '--fake-gpu'])).toMatchObject({ command: 'demo', rest: ['--hub-port', '0', '--fake-gpu'] });
    expect(parseCommand([])).toEqual({ help: true, command: null });
  });

  it('refuses bad usage with a UsageError', () => {
    for (const argv of [['load'], ['load', 'E0'], ['load', 'E1', 'E2'], ['pull'], ['pull', 'E1', '--all'], ['ls', 'x'], ['gpu', '--force'], ['embed', 'E1'], ['nope'], ['ls', '--port', '70000']]) {
      expect(() => parseCommand(argv), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('--help needs no other argument', () => {
    expect(parseCommand(['load', '--help'])).toMatchObject({ command: 'load', help: true });
  });
});
