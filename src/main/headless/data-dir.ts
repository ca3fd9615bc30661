/** Where Modelbay keeps settings, tokens and records: one rule for the server and the `modelbay` CLI. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env['MODELBAY_DATA_DIR']) return resolve(env['MODELBAY_DATA_DIR']);
  return join(env['XDG_CONFIG_HOME'] ? resolve(env['XDG_CONFIG_HOME']) : join(homedir(), '.config'), 'modelbay');
}
