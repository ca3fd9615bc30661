/** `modelbay demo`'s flags, parsed apart from starting anything so they can be tested. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelbayError } from '../../shared/errors/errors.js';
import { parsePort } from '../../main/headless/options.js';
import { DEFAULT_PORT } from '../../main/server/http-server.js';

export interface DemoOptions {
  port: number;
  /** The test Hub's port; 0 = any free one. */
  hubPort: number;
  fakeGpu: boolean;
  /** The data folder (settings, token, records); null = a fresh one in the temp folder. */
  dataDir: string | null;
  json: boolean;
  help: boolean;
}

export const DEMO_USAGE = `Usage: modelbay demo [--port N] [--hub-port N] [--fake-gpu] [--data-dir DIR] [--json]

  Modelbay headless, as \`modelbay serve\` runs it (dashboard, /v1, /metrics), against a
  local test Hub on 127.0.0.1 that serves small generated ONNX models under the catalog's
  repository names. Models, HF cache and (by default) data folder go in a temp folder that
  Ctrl+C deletes. Nothing leaves the machine.

  --port N        port of the dashboard and API (default ${DEFAULT_PORT}, or MODELBAY_PORT; 0 = any free port)
  --hub-port N    port of the test Hub (default 0 = any free port)
  --fake-gpu      replay an RTX 4080 SUPER nvidia-smi capture instead of the real GPUs
  --data-dir DIR  keep settings, token and records in DIR (default: in the temp folder);
                  the demo sets its small CPU budget there
  --json          print one JSON line once serving and errors as {"error": {"code", "message"}}
`;

export function parseDemoOptions(argv: string[], env: NodeJS.ProcessEnv): DemoOptions {
  let values: { port?: string; 'hub-port'?: string; 'fake-gpu'?: boolean; 'data-dir'?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' }, 'hub-port': { type: 'string' }, 'fake-gpu': { type: 'boolean' }, 'data-dir': { type: 'string' },
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw usage((e as Error).message);
  }
  const dataDir = values['data-dir'];
  const portText = values.port ?? (env['MODELBAY_PORT'] || String(DEFAULT_PORT));
  const hubPortText = values['hub-port'] ?? '0';
  let port: number;
  let hubPort: number;
  try {
    // An empty MODELBAY_PORT is unset, as for serve.
    port = parsePort(portText, 'The port');
    hubPort = parsePort(hubPortText, '--hub-port');
  } catch (e) {
    const err = e as ModelbayError;
    throw new ModelbayError(err.code, `${err.message}\n\n${DEMO_USAGE}`, err.details);
  }
  if (port !== 0 && port === hubPort) throw usage(`The dashboard and the test Hub cannot share port ${port}: choose another --hub-port (0 = any free port).`);
  if (dataDir === '') throw usage('--data-dir needs a folder.');
  return { port, hubPort, fakeGpu: values['fake-gpu'] ?? false, dataDir: dataDir === undefined ? null : resolve(dataDir), json: values.json ?? false, help: values.help ?? false };
}

function usage(message: string): ModelbayError {
  return new ModelbayError('EMB-E002', `${message}\n\n${DEMO_USAGE}`, { usage: true });
}
