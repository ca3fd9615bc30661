/**
 * `npm run demo`: Modelbay headless against a local test Hub on 127.0.0.1 that serves
 * small generated ONNX models under the catalog's repository names and file paths, so
 * download, verify, load, LRU eviction and embeddings can be tried on any machine with no
 * internet access. A separate entry: nothing here is on the app's production path.
 *
 *   npm run demo                     # fresh data and cache in a temp folder, port 7878
 *   npm run demo -- --port 0         # any free port
 *   npm run demo -- --fake-gpu       # replay an RTX 4080 SUPER nvidia-smi capture
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { composeApp } from '../src/main/startup/compose.js';
import { startServer } from '../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../src/main/server/server-token.js';
import { MiB } from '../src/shared/values/bytes.js';
import { buildRenderer } from '../src/devkit/renderer-build.js';
import { startHubServer, type HubRepoSpec } from '../src/devkit/hub/hub-server.js';
import { writeEmbeddingModel, type EmbeddingModel } from '../src/devkit/onnx/embedding-model.js';
import { sourceHostLauncher } from '../src/devkit/source-host.js';

const ROOT = resolve(import.meta.dirname, '..');
const FAKE_SMI = join(ROOT, 'src/devkit/nvidia-smi/bin/nvidia-smi');
const DIM = 384;

interface CatalogFile { path: string; role: string; size?: number | null; sha256?: string | null }
interface CatalogSlot {
  slot: string; status: string; repo: string | null; revision: string | null; defaultVariant: string | null;
  variants: Record<string, { files: CatalogFile[] }>; dims: number; pooling: string | null; gated: boolean; note: string | null;
}

const { values: args } = parseArgs({ options: { port: { type: 'string', default: process.env['MODELBAY_PORT'] ?? '7878' }, 'fake-gpu': { type: 'boolean', default: false } } });

const dir = await mkdtemp(join(tmpdir(), 'modelbay-demo-'));
process.stdout.write(`Modelbay demo: generating small models in ${dir}…\n`);
const catalog = JSON.parse(await readFile(join(ROOT, 'resources/catalog.json'), 'utf8')) as { version: number; slots: CatalogSlot[] };

// One generated model per repository, of a different size each, so loads fill the budget unevenly.
const repos = new Map<string, { files: CatalogFile[]; model: EmbeddingModel; gated: boolean }>();
for (const s of catalog.slots) {
  if (!s.repo || !s.defaultVariant || repos.has(s.repo)) continue;
  const files = s.variants[s.defaultVariant]?.files ?? [];
  const model = await writeEmbeddingModel({ dir: join(dir, 'models', String(repos.size)), vocab: 6000 + 3000 * (repos.size % 4), dim: DIM, seed: repos.size + 1 });
  repos.set(s.repo, { files, model, gated: s.gated });
}
const config = Buffer.from(JSON.stringify({ model_type: 'bert', hidden_size: DIM }));
const specs: HubRepoSpec[] = [...repos].map(([id, r]) => ({
  id,
  gated: r.gated,
  commits: [{ files: r.files.map((f) => ({
    path: f.path,
    content: f.role === 'model' ? { diskPath: r.model.modelPath } : f.role === 'tokenizer' ? { diskPath: r.model.tokenizerPath } : config,
    lfs: f.role === 'model',
  })) }],
}));
const hub = await startHubServer({ repos: specs, tokens: {} });

// The catalog's names and paths; revisions and dims follow the generated models.
const demoCatalog = {
  version: catalog.version,
  slots: catalog.slots.map((s) => (s.repo && s.defaultVariant
    ? { ...s, revision: 'main', variants: { [s.defaultVariant]: { files: (s.variants[s.defaultVariant]?.files ?? []).map((f) => ({ ...f, size: null, sha256: null })) } }, dims: DIM, pooling: 'mean', note: `Demo: a small generated model served by the local test Hub under ${s.repo}.` }
    : s)),
};
const catalogPath = join(dir, 'catalog.json');
await writeFile(catalogPath, JSON.stringify(demoCatalog, null, 2));

const env: NodeJS.ProcessEnv = { ...process.env, HF_HUB_CACHE: join(dir, 'hf-cache'), HF_ENDPOINT: hub.endpoint, HF_HOME: join(dir, 'hf-home') };
for (const k of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_HUB_OFFLINE']) delete env[k];
const dataDir = join(dir, 'data');
await mkdir(dataDir, { recursive: true });
const { app, log } = await composeApp({
  mode: 'headless',
  dataDir,
  catalogPath,
  launcher: sourceHostLauncher(),
  version: (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
  env,
  log: (m) => process.stderr.write(`${m}\n`),
  app: {
    gpu: args['fake-gpu'] ? { nvidiaSmi: FAKE_SMI, env: { ...env, FAKE_NVIDIA_SMI_CAPTURE: 'linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt' } } : undefined,
    hostLoadOptions: { batchSize: 4, maxSequenceLength: 64 },
  },
});
// A small CPU budget: four or five demo models fit, the next load evicts the least recently used.
const budget = await app.execute('updateSettings', { cpuBudgetBytes: 160 * MiB });
if (!budget.ok) throw new Error(budget.error.message);
await app.start();
process.stdout.write('Building the dashboard…\n');
const renderer = await buildRenderer();
const server = await startServer({ app, token: loadOrCreateServerToken(dataDir), port: Number(args.port), rendererDir: renderer.dir });

let stopping = false;
const stop = (): void => {
  if (stopping) process.exit(1);
  stopping = true;
  void (async () => {
    await server.close();
    await app.shutdown();
    await log?.close();
    await hub.close();
    await renderer.cleanup();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  })();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.stdout.write(
  `\nModelbay demo is serving the dashboard at ${server.dashboardUrl}\n` +
    `Test Hub: ${hub.endpoint} (${repos.size} repositories, nothing leaves this machine). Try "Download & verify all", then Load slots until one is evicted, then Try it.\n` +
    'Ctrl+C stops the demo and deletes its temp folder.\n',
);
