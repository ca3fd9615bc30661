// Headless entry: the backend without Electron, for GPU servers reached over SSH and for
// machines without the Electron binary. Serves the dashboard to a browser.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toModelbayError, type ModelbayError } from '../../shared/errors/errors.js';
import { composeApp, cudaProviderInstalled } from '../startup/compose.js';
import { ForkLauncher } from '../core/runtime/index.js';
import { builtByteWorker } from '../core/artifacts/transfer/byte-thread.js';
import { gpuProblem, gpuProblemText, gpuRequired, probeGpu, REQUIRE_GPU_EXIT_CODE } from '../startup/gpu-requirement.js';
import { HEADLESS_USAGE, parseHeadlessOptions } from './options.js';
import { startServer } from '../server/http-server.js';
import { loadOrCreateServerToken, serverTokenPath } from '../server/server-token.js';
import { servingBanner } from '../server/serving-banner.js';

// Built, this entry is out/main/headless.js; from source (tsx) it is src/main/headless/main.ts.
const fromSource = import.meta.url.endsWith('.ts');
const root = resolve(import.meta.dirname, fromSource ? '../../..' : '../..');
const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/**
 * Where a network is, `modelbay serve` fetches onnxruntime's CUDA provider that an offline
 * install left out (scripts/start.mjs asks for it with MODELBAY_FETCH_CUDA=1) — only once
 * the flags are known good, so `serve --help` and a typo never reach for the network.
 */
async function fetchCudaProviderIfAsked(): Promise<void> {
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
  await fetchCudaProviderIfAsked();
  if (options.exposureWarning) log(`\n${options.exposureWarning}\n`);
  const builtHost = join(import.meta.dirname, 'host.js');
  const launcher = !fromSource && existsSync(builtHost)
    ? new ForkLauncher({ entry: builtHost })
    : new ForkLauncher({ entry: join(import.meta.dirname, '../host/main.ts'), execArgv: ['--import', 'tsx'] });
  // The download worker likewise: built beside this entry, else its sources (the default).
  const downloadWorker = !fromSource && existsSync(builtByteWorker(import.meta.dirname).path) ? builtByteWorker(import.meta.dirname) : undefined;
  const rendererDir = join(root, 'out', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) log('The dashboard is not built (out/renderer is missing): only the API is served. Run `npm run build`.');
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version;
  const { app, lock, log: appLog, settings } = await composeApp({
    mode: 'headless',
    dataDir: options.dataDir,
    catalogPath: join(root, 'resources', 'catalog.json'),
    launcher,
    ...(downloadWorker ? { downloadWorker } : {}),
    version,
    log,
  });

  if (gpuRequired(options.requireGpu, process.env, settings.get().requireGpu)) {
    const problem = gpuProblem({ cudaProvider: cudaProviderInstalled(), sample: await probeGpu({ env: process.env }), env: process.env });
    if (problem) {
      process.stderr.write(gpuProblemText(problem));
      await app.shutdown();
      process.exit(REQUIRE_GPU_EXIT_CODE);
    }
    log('Strict GPU start: a CUDA GPU and the CUDA provider are present.');
  }

  let stopping = false;
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  const stop = (signal: string): void => {
    if (stopping) {
      log(`${signal} again: exiting without waiting.`);
      process.exit(1);
    }
    stopping = true;
    log('Stopping Modelbay…');
    void (async () => {
      await server?.close();
      await app.shutdown();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  process.stdout.write('Starting Modelbay (settings, model files, GPUs, preloads)…\n');
  await app.start();
  const serverToken = loadOrCreateServerToken(options.dataDir);
  appLog?.redactor.addSecret(serverToken);
  server = await startServer({ app, token: serverToken, host: options.host, port: options.port, rendererDir: existsSync(rendererDir) ? rendererDir : null, log, serving: app });
  lock.setPort(server.port);
  if (options.json) {
    // For scripts and supervisors: one line, never the token itself.
    const tokenPath = serverTokenPath(options.dataDir);
    process.stdout.write(`${JSON.stringify({ event: 'serving', url: server.url, port: server.port, dataDir: options.dataDir, tokenPath, api: `${server.url}v1`, metrics: `${server.url}metrics`, pid: process.pid })}\n`);
    return;
  }
  process.stdout.write(servingBanner({ isTTY: process.stdout.isTTY === true, url: server.url, dashboardUrl: server.dashboardUrl, tokenPath: serverTokenPath(options.dataDir) }));
  process.stdout.write(`OpenAI-compatible API: ${server.url}v1 (api key: the token in ${serverTokenPath(options.dataDir)}); Prometheus metrics: ${server.url}metrics\n`);
}

/** Exit codes as the CLI's: 1 a Modelbay error, 2 usage. With --json the error is one JSON line. */
function fail(err: ModelbayError, text: string): never {
  const usage = err.code === 'EMB-E002' && err.details['usage'] === true;
  if (process.argv.includes('--json')) process.stderr.write(`${JSON.stringify({ error: { code: err.code, message: text, details: err.toJSON().details } })}\n`);
  else log(text);
  process.exit(usage ? 2 : 1);
}

main().catch((e: unknown) => {
  const err = toModelbayError(e);
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    fail(err, `Modelbay could not start: the port is in use (${err.message}). Is Modelbay already running? Choose another with --port N (0 = any free port).`);
  }
  if (err.code === 'EMB-E002' && err.details['usage'] === true) fail(err, err.message);
  fail(err, `Modelbay could not start: ${err.message}${err.code === 'EMB-E500' ? '' : ` (${err.code})`}`);
});
