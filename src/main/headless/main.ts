// Headless entry: the backend without Electron, for GPU servers reached over SSH and for
// machines without the Electron binary. Serves the dashboard to a browser.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cudaProviderInstalled } from '../startup/compose.js';
import { HEADLESS_USAGE, parseHeadlessOptions } from './options.js';
import { entryPaths, exitOnStartError, serveHeadless } from './serve-headless.js';
import { Shutdown } from './shutdown.js';

const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};
const shutdown = new Shutdown({ log, exit: (code) => process.exit(code) });
shutdown.listen();

/**
 * Where a network is, `modelbay serve` fetches onnxruntime's CUDA provider that an offline
 * install left out (scripts/start.mjs asks for it with MODELBAY_FETCH_CUDA=1) — only once
 * the flags are known good, so `serve --help` and a typo never reach for the network.
 */
async function fetchCudaProviderIfAsked(root: string): Promise<void> {
  if (process.env['MODELBAY_FETCH_CUDA'] !== '1' || process.env['MODELBAY_SKIP_FETCH'] === '1' || cudaProviderInstalled()) return;
  const script = join(root, 'scripts', 'fetch-binaries.mjs');
  if (!existsSync(script)) return;
  const fetcher = (await import(pathToFileURL(script).href)) as { fetchCudaProvider: () => boolean };
  fetcher.fetchCudaProvider();
}

async function main(): Promise<void> {
  const options = parseHeadlessOptions(process.argv.slice(2), process.env);
  if (options.help) {
    process.stdout.write(HEADLESS_USAGE);
    return;
  }
  const paths = entryPaths(import.meta.url);
  await fetchCudaProviderIfAsked(paths.root);
  if (options.exposureWarning) log(`\n${options.exposureWarning}\n`);
  await serveHeadless({
    ...options,
    catalogPath: join(paths.root, 'resources', 'catalog.json'),
    launcher: paths.launcher,
    downloadWorker: paths.downloadWorker,
    rendererDir: paths.rendererDir,
    version: paths.version,
    log,
    shutdown,
  });
}

const started = main();
shutdown.starting(started);
started.catch((e: unknown) => exitOnStartError(e, process.argv, log, shutdown));
