/** An App over real settings files, the in-memory artifact manager and no GPU, for tests. */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppEvent } from '../../shared/contract/api.js';
import type { SlotId } from '../../shared/slots/slots.js';
import { createApp, type App, type AppOptions } from '../../main/app/app.js';
import type { HostLauncher } from '../../main/core/runtime/index.js';
import { SettingsStore } from '../../main/core/state/settings-store.js';
import { createFileTokenStore, type TokenStore } from '../../main/core/state/token-store.js';
import { createMemoryArtifacts, type MemoryArtifacts } from '../artifacts/memory-artifacts.js';

export interface Harness {
  app: App;
  dir: string;
  settings: SettingsStore;
  tokens: TokenStore;
  artifacts: MemoryArtifacts;
  events: AppEvent[];
  close(): Promise<void>;
}

const noLauncher: HostLauncher = {
  launch: () => {
    throw new Error('this test starts no session hosts');
  },
};

export interface HarnessOptions {
  ready?: SlotId[];
  launcher?: HostLauncher;
  app?: Partial<AppOptions>;
  settingsJson?: string;
  /** Reuse a data folder (a restart); the caller removes it. */
  dir?: string;
  /** Slots with a token-level model (pooling "none"). */
  tokenLevel?: SlotId[];
  /** Slots with no model at all (catalog status "none"). */
  noModel?: SlotId[];
  /** The generated model's size (vocab × dim). */
  model?: { vocab?: number; dim?: number; catalogDims?: Partial<Record<SlotId, number>> };
}

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'modelbay-app-'));
  if (options.settingsJson !== undefined) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'settings.json'), options.settingsJson);
  }
  const settings = await SettingsStore.open({ dir });
  const tokens = createFileTokenStore(join(dir, 'hf-token'));
  const artifacts = await createMemoryArtifacts({ dir: join(dir, 'models'), ready: options.ready ?? [], tokenLevel: options.tokenLevel, noModel: options.noModel, ...options.model });
  const app = createApp({
    mode: 'headless',
    version: 'test',
    settings,
    tokens,
    artifacts,
    launcher: options.launcher ?? noLauncher,
    gpu: { nvidiaSmi: null },
    // Nothing from the machine's own HF setup may leak into tests.
    // A closed loopback port as the Hub: start-up update checks never leave this machine.
    env: { HOME: dir, HF_HOME: join(dir, 'hf'), HF_ENDPOINT: 'http://127.0.0.1:9' },
    totalMemoryBytes: 16 * 1024 ** 3,
    hostLoadOptions: { intraOpNumThreads: 1, batchSize: 4, maxSequenceLength: 32 },
    ...options.app,
  });
  const events: AppEvent[] = [];
  const off = app.subscribe((e) => events.push(e));
  return {
    app, dir, settings, tokens, artifacts, events,
    async close() {
      off();
      await app.shutdown();
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
