/** The headless entry's flags and environment, parsed apart from starting anything so it can be tested. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelbayError } from '../../shared/errors/errors.js';
import { defaultDataDir } from './data-dir.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../server/http-server.js';
import { isLoopbackAddress } from '../server/request-guard.js';

export interface HeadlessOptions {
  host: string;
  port: number;
  dataDir: string;
  /** A loud warning to print when the server is reachable from other machines; null when loopback. */
  exposureWarning: string | null;
  help: boolean;
  /** Machine-readable output: one JSON line when serving, errors as {"error": …}. */
  json: boolean;
  /** --require-gpu: exit 101 at start without a usable CUDA device and provider. */
  requireGpu: boolean;
}

export const HEADLESS_USAGE = `Usage: modelbay serve [--port N] [--host ADDR] [--data-dir DIR] [--require-gpu] [--json]

  --port N        port to listen on (default ${DEFAULT_PORT}, or MODELBAY_PORT; 0 = any free port)
  --host ADDR     address to bind (default ${DEFAULT_HOST}; anything else exposes the dashboard)
  --data-dir DIR  settings, token and records (default MODELBAY_DATA_DIR,
                  else $XDG_CONFIG_HOME/modelbay or ~/.config/modelbay)
  --require-gpu   refuse to start (exit code 101) without a usable CUDA GPU and
                  onnxruntime's CUDA provider (also MODELBAY_REQUIRE_GPU=1, or the setting)
  --json          print one JSON line once serving ({"url", "dataDir", "tokenPath", …})
                  and errors as {"error": {"code", "message"}}
`;

export { defaultDataDir };

/** A port to listen on (0 = any free one), or a usage error naming `what` ("The port", "--hub-port"). */
export function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65_535) {
    throw new ModelbayError('EMB-E002', `${what} must be a number from 0 to 65535; got ${JSON.stringify(text)}.`, { port: text, usage: true });
  }
  return port;
}

export function parseHeadlessOptions(argv: string[], env: NodeJS.ProcessEnv): HeadlessOptions {
  let values: { port?: string; host?: string; 'data-dir'?: string; help?: boolean; json?: boolean; 'require-gpu'?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' },
        'require-gpu': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new ModelbayError('EMB-E002', `${(e as Error).message}\n\n${HEADLESS_USAGE}`, { usage: true });
  }
  // An empty variable is unset, as for the CLI.
  const port = parsePort(values.port ?? (env['MODELBAY_PORT'] || String(DEFAULT_PORT)), 'The port');
  const host = values.host ?? DEFAULT_HOST;
  const exposureWarning = isLoopbackAddress(host)
    ? null
    : `WARNING: Modelbay is listening on ${host}, not only on this machine. Anyone who can reach ` +
      'this address and has the token can load models and change settings, and the traffic is not ' +
      'encrypted. Prefer the default (127.0.0.1) with an SSH tunnel: ssh -L 7878:127.0.0.1:7878 <server>.';
  return {
    host, port, dataDir: values['data-dir'] ? resolve(values['data-dir']) : defaultDataDir(env), exposureWarning, help: values.help ?? false,
    json: values.json ?? false, requireGpu: values['require-gpu'] ?? false,
  };
}
