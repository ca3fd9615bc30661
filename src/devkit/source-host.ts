/**
 * The session host run from its TypeScript sources (tsx) in a child process: how the tests
 * and benchmarks start real hosts without a build.
 */
import { join } from 'node:path';
import { ForkLauncher } from '../main/core/runtime/fork-launcher.js';

export const HOST_ENTRY = join(import.meta.dirname, '../main/host/main.ts');

export function sourceHostLauncher(): ForkLauncher {
  return new ForkLauncher({ entry: HOST_ENTRY, execArgv: ['--import', 'tsx'] });
}
