/**
 * The demo's Hub: one small generated ONNX model per repository of the catalog, served by
 * the test Hub on 127.0.0.1 under the catalog's repository names and file paths, and the
 * catalog the demo's Modelbay reads (the same slots; revisions and dims follow the
 * generated models).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHubServer, type HubRepoSpec, type HubServer } from '../hub/hub-server.js';
import { writeEmbeddingModel, type EmbeddingModel } from '../onnx/embedding-model.js';

const DIM = 384;

interface CatalogFile { path: string; role: string; size?: number | null; sha256?: string | null }
interface CatalogSlot {
  slot: string; status: string; repo: string | null; revision: string | null; defaultVariant: string | null;
  variants: Record<string, { files: CatalogFile[] }>; dims: number; pooling: string | null; gated: boolean; note: string | null;
}

export interface DemoHub {
  hub: HubServer;
  /** The catalog to start Modelbay with. */
  catalogPath: string;
  repoCount: number;
}

/** Generates the models into `dir`, starts the Hub on `port` (0 = any free one) and writes the demo catalog. */
export async function startDemoHub(options: { dir: string; catalogPath: string; port: number }): Promise<DemoHub> {
  const { dir } = options;
  const catalog = JSON.parse(await readFile(options.catalogPath, 'utf8')) as { version: number; slots: CatalogSlot[] };

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
  let hub: HubServer;
  try {
    hub = await startHubServer({ repos: specs, tokens: {}, port: options.port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    throw new Error(`the test Hub's port ${options.port} is in use. Choose another with --hub-port N (0 = any free port).`);
  }

  const demoCatalog = {
    version: catalog.version,
    slots: catalog.slots.map((s) => (s.repo && s.defaultVariant
      ? {
        ...s, revision: 'main', dims: DIM, pooling: 'mean',
        variants: { [s.defaultVariant]: { files: (s.variants[s.defaultVariant]?.files ?? []).map((f) => ({ ...f, size: null, sha256: null })) } },
        note: `Demo: a small generated model served by the local test Hub under ${s.repo}.`,
      }
      : s)),
  };
  const catalogPath = join(dir, 'catalog.json');
  await writeFile(catalogPath, JSON.stringify(demoCatalog, null, 2));
  return { hub, catalogPath, repoCount: repos.size };
}
