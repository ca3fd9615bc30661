/**
 * A test Hub with a few repositories of random bytes, a temp cache, and a Downloader
 * wired to both with an injected sleep (retries never wait real seconds).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Downloader, type DownloaderOptions } from '../../../../src/main/core/artifacts/transfer/downloader.js';
import { startHubServer, sha256Hex, type HubRepoSpec, type HubServer, type HubServerOptions } from '../../../../src/devkit/hub/hub-server.js';

export const MODEL = 'org/model';
export const GATED = 'org/gated';
export const PRIVATE = 'org/private';
export const DISABLED = 'org/disabled';
export const GOOD_TOKEN = 'hf_good_token_with_grants';
export const PLAIN_TOKEN = 'hf_plain_token_no_grants';

export interface TestFiles {
  weights: Buffer;
  data: Buffer;
  config: Buffer;
  tokenizer: Buffer;
}

export function makeFiles(): TestFiles {
  return {
    weights: randomBytes(3 * 1024 * 1024 + 123),
    data: randomBytes(2 * 1024 * 1024 + 7),
    config: Buffer.from(JSON.stringify({ hidden_size: 64, model_type: 'bert' })),
    tokenizer: randomBytes(300_000),
  };
}

export function repoSpecs(f: TestFiles): HubRepoSpec[] {
  const files = [
    { path: 'model.onnx', content: f.weights, lfs: true },
    { path: 'onnx/model.onnx_data', content: f.data, lfs: true },
    { path: 'config.json', content: f.config, lfs: false },
    { path: 'tokenizer.json', content: f.tokenizer, lfs: false },
  ];
  return [
    { id: MODEL, commits: [{ files: [{ path: 'config.json', content: Buffer.from('{}'), lfs: false }] }, { files }], refs: { main: 1, v1: 0, 'refs/pr/1': 1 } },
    { id: GATED, gated: true, commits: [{ files }] },
    { id: PRIVATE, private: true, commits: [{ files }] },
    { id: DISABLED, disabled: true, commits: [{ files }] },
  ];
}

export interface HubTestEnv {
  hub: HubServer;
  files: TestFiles;
  cacheDir: string;
  sleeps: number[];
  downloader(options?: Partial<DownloaderOptions>): Downloader;
  sha(buf: Buffer): string;
  close(): Promise<void>;
}

export async function startEnv(opts: Partial<HubServerOptions> = {}): Promise<HubTestEnv> {
  const files = makeFiles();
  const hub = await startHubServer({
    repos: repoSpecs(files),
    tokens: { [GOOD_TOKEN]: { grants: [GATED, PRIVATE] }, [PLAIN_TOKEN]: {} },
    ...opts,
  });
  // The cache sits in a private folder, so "nothing written beside the cache" is not
  // disturbed by other test files creating temp folders at the same time.
  const home = await mkdtemp(join(tmpdir(), 'modelbay-hub-'));
  const cacheDir = join(home, 'hub');
  await mkdir(cacheDir);
  const sleeps: number[] = [];
  return {
    hub, files, cacheDir, sleeps,
    downloader: (o = {}) => new Downloader({
      cacheDir, endpoint: hub.endpoint, token: null, idleTimeoutMs: 2_000,
      sleep: (ms) => { sleeps.push(ms); return Promise.resolve(); },
      ...o,
    }),
    sha: sha256Hex,
    close: async () => {
      await hub.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
