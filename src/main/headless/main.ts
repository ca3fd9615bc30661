// Headless entry: the backend without Electron, for GPU servers reached over SSH and for
// machines without the Electron binary. Serves the dashboard to a browser.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toModelbayError } from '../../shared/errors/errors.js';
import { composeApp, cudaProviderInstalled } from '../startup/compose.js';
import { ForkLauncher } from '../core/runtime/index.js';
import { gpuProblem, gpuProblemText, gpuRequired, probeGpu, REQUIRE_GPU_EXIT_CODE } from '../startup/gpu-requirement.js';
import { HEADLESS_USAGE, parseHeadlessOptions } from './options.js';
import { startServer } from '../server/http-server.js';
import { loadOrCreateServerToken, readServerToken, serverTokenPath } from '../server/server-token.js';
import { servingBanner } from '../server/serving-banner.js';

// Built, this entry is out/main/headless.js; from source (tsx) it is src/main/headless/main.ts.
const fromSource = import.meta.url.endsWith('.ts');
const root = resolve(import.meta.dirname, fromSource ? '../../..' : '../..');
const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

async function main(): Promise<void> {
  const options = parseHeadlessOptions(process.argv.slice(2), process.env);
  if (options.help) {
    process.stdout.write(HEADLESS_USAGE);
    return;
  }
  if (options.printToken) {
    const token = readServerToken(options.dataDir);
    if (token === null) {
      log(`There is no server token in ${options.dataDir} yet: start \`modelbay serve\` once (with the same --data-dir) to make one.`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${token}\n`);
    return;
  }
  if (options.exposureWarning) log(`\n${options.exposureWarning}\n`);
  const builtHost = join(import.meta.dirname, 'host.js');
  const launcher = !fromSource && existsSync(builtHost)
    ? new ForkLauncher({ entry: builtHost })
    : new ForkLauncher({ entry: join(import.meta.dirname, '../host/main.ts'), execArgv: ['--import', 'tsx'] });
  const rendererDir = join(root, 'out', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) log('The dashboard is not built (out/renderer is missing): only the API is served. Run `npm run build`.');
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version;
  const { app, lock, log: appLog, settings } = await composeApp({
    mode: 'headless',
    dataDir: options.dataDir,
    catalogPath: join(root, 'resources', 'catalog.json'),
    launcher,
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
  process.stdout.write(servingBanner({ isTTY: process.stdout.isTTY === true, url: server.url, dashboardUrl: server.dashboardUrl, tokenPath: serverTokenPath(options.dataDir) }));
  process.stdout.write(`OpenAI-compatible API: ${server.url}v1 (api key: the token in ${serverTokenPath(options.dataDir)}); Prometheus metrics: ${server.url}metrics\n`);
}

main().catch((e: unknown) => {
  const err = toModelbayError(e);
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    log(`Modelbay could not start: the port is in use (${err.message}). Is Modelbay already running? Choose another with --port N (0 = any free port).`);
    process.exit(1);
  }
  log(`Modelbay could not start: ${err.message}${err.code === 'EMB-E500' ? '' : ` (${err.code})`}`);
  process.exit(1);
});
