/**
 * `modelbay demo` (`npm run demo`): Modelbay headless exactly as `modelbay serve` runs it
 * (one start-up function: dashboard, /api, /v1, TEI's /embed_*, /metrics, the port in the
 * data folder's lock, the token only on a terminal), against a local test Hub on
 * 127.0.0.1 that serves small generated ONNX models under the catalog's repository names,
 * so download, verify, load, LRU eviction and embeddings can be tried on any machine with
 * no internet access. Built, this is out/main/demo.js and needs only the runtime
 * dependencies; from source (tsx) it is src/devkit/demo/main.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MiB } from '../../shared/values/bytes.js';
import { DEFAULT_HOST } from '../../main/server/http-server.js';
import { entryPaths, exitOnStartError, serveHeadless } from '../../main/headless/serve-headless.js';
import { Shutdown } from '../../main/headless/shutdown.js';
import { startDemoHub } from './demo-hub.js';
import { fakeGpuOptions } from './fake-gpu.js';
import { DEMO_USAGE, parseDemoOptions } from './options.js';

/** A small CPU budget: four or five demo models fit, the next load evicts the least recently used. */
const DEMO_CPU_BUDGET = 160 * MiB;

const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};
const shutdown = new Shutdown({ log, exit: (code) => process.exit(code) });
shutdown.listen();

async function main(): Promise<void> {
  const options = parseDemoOptions(process.argv.slice(2), process.env);
  if (options.help) {
    process.stdout.write(DEMO_USAGE);
    return;
  }
  // Progress goes to stderr under --json: stdout holds the one JSON line.
  const say = options.json ? log : (text: string): void => { process.stdout.write(`${text}\n`); };
  const paths = entryPaths(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'modelbay-demo-'));
  shutdown.add({ graceful: () => rm(dir, { recursive: true, force: true }), now: () => rmSync(dir, { recursive: true, force: true }) });
  say(`Modelbay demo: generating small models in ${dir}…`);
  const { hub, catalogPath, repoCount } = await startDemoHub({ dir, catalogPath: join(paths.root, 'resources', 'catalog.json'), port: options.hubPort });
  shutdown.add({ graceful: () => hub.close() });
  shutdown.checkpoint();

  const env: NodeJS.ProcessEnv = { ...process.env, HF_HUB_CACHE: join(dir, 'hf-cache'), HF_ENDPOINT: hub.endpoint, HF_HOME: join(dir, 'hf-home') };
  for (const k of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_HUB_OFFLINE']) delete env[k];
  const dataDir = options.dataDir ?? join(dir, 'data');
  await serveHeadless({
    dataDir,
    host: DEFAULT_HOST,
    port: options.port,
    json: options.json,
    requireGpu: false,
    catalogPath,
    launcher: paths.launcher,
    downloadWorker: paths.downloadWorker,
    rendererDir: paths.rendererDir,
    version: paths.version,
    env,
    app: {
      ...(options.fakeGpu ? { gpu: fakeGpuOptions(paths.root, paths.fromSource, env) } : {}),
      hostLoadOptions: { batchSize: 4, maxSequenceLength: 64 },
    },
    log,
    shutdown,
    prepare: async (app) => {
      const budget = await app.execute('updateSettings', { cpuBudgetBytes: DEMO_CPU_BUDGET });
      if (!budget.ok) throw new Error(budget.error.message);
    },
    extra: {
      text:
        `Test Hub: ${hub.endpoint} (${repoCount} repositories, nothing leaves this machine). Data folder: ${dataDir}\n` +
        'Try "Download & verify all", then Load slots until one is evicted, then Try it.\n' +
        `Ctrl+C stops the demo and deletes ${dir}.\n`,
      json: { hub: hub.endpoint, tempDir: dir },
    },
  });
}

const started = main();
shutdown.starting(started);
started.catch((e: unknown) => exitOnStartError(e, process.argv, log, shutdown));
