/**
 * The headless server's start, one function for `modelbay serve` and `modelbay demo`, so
 * the demo is the product with a local Hub and cannot drift from it: the App composed on
 * the data folder, the strict-GPU check, the HTTP server with the dashboard, the /api, the
 * serving endpoints (/v1, TEI's /embed_*) and /metrics, the port recorded in the data
 * folder's lock (for `modelbay status` and a second instance's message), the banner that
 * prints the token only on a terminal, and the stop on SIGINT/SIGTERM.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toModelbayError, type ModelbayError } from '../../shared/errors/errors.js';
import type { App, AppOptions } from '../app/app.js';
import { ForkLauncher, type HostLauncher } from '../core/runtime/index.js';
import { builtByteWorker, type ByteWorkerEntry } from '../core/artifacts/transfer/byte-thread.js';
import { startServer, type RunningServer } from '../server/http-server.js';
import { loadOrCreateServerToken, serverTokenPath } from '../server/server-token.js';
import { servingBanner } from '../server/serving-banner.js';
import { composeApp, cudaProviderInstalled } from '../startup/compose.js';
import { gpuProblem, gpuProblemText, gpuRequired, probeGpu, REQUIRE_GPU_EXIT_CODE } from '../startup/gpu-requirement.js';
import { defaultDataDir } from './data-dir.js';
import { StopRequested, trackHosts, type Shutdown } from './shutdown.js';

/**
 * Where an entry finds the package: built, every entry is out/main/<name>.js; from source
 * (tsx) it is src/<area>/<folder>/main.ts. Both sit two folders below the root.
 */
export interface EntryPaths {
  root: string;
  fromSource: boolean;
  /** The session host: out/main/host.js when built, else its source through tsx. */
  launcher: HostLauncher;
  /** The download worker: out/main/download-worker.js when built, else undefined (its source through tsx, the default). */
  downloadWorker: ByteWorkerEntry | undefined;
  /** The built dashboard, or null when out/renderer is missing (only the API is served then). */
  rendererDir: string | null;
  version: string | undefined;
}

export function entryPaths(entryUrl: string): EntryPaths {
  const fromSource = entryUrl.endsWith('.ts');
  const root = resolve(fileURLToPath(entryUrl), fromSource ? '../../../..' : '../../..');
  const builtHost = join(root, 'out', 'main', 'host.js');
  const launcher = !fromSource && existsSync(builtHost)
    ? new ForkLauncher({ entry: builtHost })
    : new ForkLauncher({ entry: join(root, 'src', 'main', 'host', 'main.ts'), execArgv: ['--import', 'tsx'] });
  const builtWorker = builtByteWorker(join(root, 'out', 'main'));
  const downloadWorker = !fromSource && existsSync(builtWorker.path) ? builtWorker : undefined;
  const rendererDir = join(root, 'out', 'renderer');
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version;
  return { root, fromSource, launcher, downloadWorker, rendererDir: existsSync(join(rendererDir, 'index.html')) ? rendererDir : null, version };
}

export interface ServeHeadlessOptions {
  dataDir: string;
  host: string;
  port: number;
  /** One JSON line once serving instead of the banner. */
  json: boolean;
  requireGpu: boolean;
  catalogPath: string;
  launcher: HostLauncher;
  /** The built download worker; undefined runs its source through tsx. */
  downloadWorker?: ByteWorkerEntry | undefined;
  rendererDir: string | null;
  version?: string;
  env?: NodeJS.ProcessEnv;
  /** Everything else the App takes (the demo's fake GPU and small load options). */
  app?: Partial<AppOptions>;
  log: (message: string) => void;
  shutdown: Shutdown;
  /** Runs once the App is composed, before it starts (the demo's budget). */
  prepare?: (app: App) => Promise<void>;
  /** What the caller adds to the banner (lines) and to the --json line (fields). */
  extra?: { text: string; json: Record<string, unknown> };
}

export interface ServingHeadless {
  app: App;
  server: RunningServer;
}

export async function serveHeadless(options: ServeHeadlessOptions): Promise<ServingHeadless> {
  const { shutdown, log } = options;
  if (options.rendererDir === null) log('The dashboard is not built (out/renderer is missing): only the API is served. Run `npm run build`.');
  const hosts = trackHosts(options.launcher);
  const { app, lock, log: appLog, settings } = await composeApp({
    mode: 'headless',
    dataDir: options.dataDir,
    catalogPath: options.catalogPath,
    launcher: hosts.launcher,
    ...(options.downloadWorker ? { downloadWorker: options.downloadWorker } : {}),
    version: options.version,
    ...(options.env ? { env: options.env } : {}),
    log,
    ...(options.app ? { app: options.app } : {}),
  });
  shutdown.add({
    graceful: () => app.shutdown(),
    now: () => {
      hosts.killAll();
      lock.release();
    },
  });
  shutdown.checkpoint();

  if (gpuRequired(options.requireGpu, options.env ?? process.env, settings.get().requireGpu)) {
    const problem = gpuProblem({ cudaProvider: cudaProviderInstalled(), sample: await probeGpu({ env: options.env ?? process.env }), env: options.env ?? process.env });
    if (problem) {
      process.stderr.write(gpuProblemText(problem));
      await app.shutdown();
      process.exit(REQUIRE_GPU_EXIT_CODE);
    }
    log('Strict GPU start: a CUDA GPU and the CUDA provider are present.');
  }
  await options.prepare?.(app);
  shutdown.checkpoint();

  // With --json, stdout carries only JSON lines for scripts; the progress word goes to stderr.
  (options.json ? process.stderr : process.stdout).write('Starting Modelbay (settings, model files, GPUs, preloads)…\n');
  await app.start();
  shutdown.checkpoint();
  const serverToken = loadOrCreateServerToken(options.dataDir);
  appLog?.redactor.addSecret(serverToken);
  const server = await startServer({ app, token: serverToken, host: options.host, port: options.port, rendererDir: options.rendererDir, log, serving: app });
  shutdown.add({ graceful: () => server.close() });
  lock.setPort(server.port);

  const tokenPath = serverTokenPath(options.dataDir);
  if (options.json) {
    // For scripts and supervisors: one line, never the token itself.
    const line = { event: 'serving', url: server.url, port: server.port, dataDir: options.dataDir, tokenPath, api: `${server.url}v1`, metrics: `${server.url}metrics`, pid: process.pid, ...options.extra?.json };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } else {
    const dataDir = options.dataDir === defaultDataDir(process.env) ? null : options.dataDir;
    process.stdout.write(servingBanner({ isTTY: process.stdout.isTTY === true, url: server.url, dashboardUrl: server.dashboardUrl, tokenPath, dataDir }));
    process.stdout.write(`OpenAI-compatible API: ${server.url}v1 (api key: the token in ${tokenPath}); Prometheus metrics: ${server.url}metrics\n`);
    if (options.extra) process.stdout.write(options.extra.text);
  }
  return { app, server };
}

/**
 * A start that failed, as the CLI reports errors: exit 2 for usage (EMB-E002 with
 * details.usage), else 1; with --json on the command line the error is one JSON line on
 * stderr. What the start had started is stopped first (the demo's temp folder removed). An
 * interrupted start is no failure: the stop under way owns the exit.
 */
export function exitOnStartError(e: unknown, argv: string[], log: (message: string) => void, shutdown: Shutdown): void {
  if (e instanceof StopRequested) return;
  const err = toModelbayError(e);
  const usage = err.code === 'EMB-E002' && err.details['usage'] === true;
  let text: string;
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    text = `Modelbay could not start: the port is in use (${err.message}). Is Modelbay already running? Choose another with --port N (0 = any free port).`;
  } else if (usage) {
    text = err.message;
  } else {
    text = `Modelbay could not start: ${err.message}${err.code === 'EMB-E500' ? '' : ` (${err.code})`}`;
  }
  report(err, text, argv, log);
  shutdown.fail(usage ? 2 : 1);
}

function report(err: ModelbayError, text: string, argv: string[], log: (message: string) => void): void {
  if (argv.includes('--json')) process.stderr.write(`${JSON.stringify({ error: { code: err.code, message: text, details: err.toJSON().details } })}\n`);
  else log(text);
}
