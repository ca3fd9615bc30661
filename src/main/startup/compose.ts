/**
 * Builds the App the same way for both entries (Electron and headless): settings from
 * the data folder, the token store, the artifact manager configured from settings and
 * the environment, then the App with the launcher the entry provides.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SlotSource } from '../../shared/settings/settings.js';
import { SLOT_IDS, type SlotId } from '../../shared/slots/slots.js';
import { createApp, type App, type AppOptions } from '../app/app.js';
import { createArtifactManager, type ArtifactManagerOptions } from '../core/artifacts/manager/artifact-manager.js';
import type { ArtifactManager } from '../core/artifacts/manager/types.js';
import type { HostLauncher } from '../core/runtime/index.js';
import type { ByteWorkerEntry } from '../core/artifacts/transfer/byte-thread.js';
import { resolveToken } from '../core/artifacts/hub/hub-environment.js';
import { DataDirLock } from '../core/state/data-dir-lock.js';
import { SettingsStore } from '../core/state/settings-store.js';
import { createFileTokenStore, type TokenCipher, type TokenStore, type TokenStoreOptions } from '../core/state/token-store.js';
import { createAppLog, type AppLog } from '../logging/app-log.js';
import { logAccess, logActivity } from '../logging/log-access.js';
import { artifactConfig } from '../core/artifacts/manager/artifact-config.js';
import { prepareDataDir } from '../headless/data-dir.js';

export const HF_TOKEN_FILE = 'hf-token';

export interface ComposeOptions {
  mode: AppOptions['mode'];
  /** Where settings, tokens and records live. */
  dataDir: string;
  catalogPath: string;
  launcher: HostLauncher;
  /** The built download worker (out/main/download-worker.js); absent: its sources, through tsx. */
  downloadWorker?: ByteWorkerEntry;
  version?: string;
  env?: NodeJS.ProcessEnv;
  /** Electron's safeStorage when available; null keeps the token in a 0600 file as is. */
  tokenCipher?: TokenCipher | null;
  /** The secret store named in the settings view, and how to open a token sealed before (see src/main/electron/token-encryption.ts). */
  tokenStorage?: TokenStoreOptions;
  log?: (message: string) => void;
  /** Everything else the App takes (GPU monitor options, load options, timers…). */
  app?: Partial<AppOptions>;
  /** Tests pass the in-memory manager. */
  createArtifacts?: (options: ArtifactManagerOptions) => Promise<ArtifactManager>;
  /** Where the log files go; default <dataDir>/logs, null for no log file. */
  logDir?: string | null;
  /** Desktop: show a folder in the file manager. */
  openFolder?: (dir: string) => Promise<boolean>;
}

export interface Composition {
  app: App;
  /** This instance's claim on the data folder; released when the app shuts down. */
  lock: DataDirLock;
  settings: SettingsStore;
  tokens: TokenStore;
  artifacts: ArtifactManager;
  /** The log file (null when logDir is null). */
  log: AppLog | null;
}

export async function composeApp(options: ComposeOptions): Promise<Composition> {
  const env = options.env ?? process.env;
  // A folder that cannot be made or written ends the start here, with a coded error naming it.
  await prepareDataDir(options.dataDir);
  // First of all: a second instance on the same folder would overwrite this one's settings.
  const lock = DataDirLock.acquire(options.dataDir, options.mode);
  try {
    return await composeLocked(options, env, lock);
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function composeLocked(options: ComposeOptions, env: NodeJS.ProcessEnv, lock: DataDirLock): Promise<Composition> {
  const settings = await SettingsStore.open({ dir: options.dataDir });
  const tokens = createFileTokenStore(join(options.dataDir, HF_TOKEN_FILE), options.tokenCipher ?? null, options.tokenStorage);
  const sources: Partial<Record<SlotId, SlotSource>> = {};
  for (const slot of SLOT_IDS) {
    const source = settings.get().slots[slot]?.source;
    if (source) sources[slot] = source;
  }
  const artifacts = await (options.createArtifacts ?? createArtifactManager)({
    config: artifactConfig(settings.get(), resolveToken(tokens, env), env),
    stateDir: join(options.dataDir, 'state'),
    catalogPath: options.catalogPath,
    sources,
    ...(options.downloadWorker ? { downloadWorker: options.downloadWorker } : {}),
  });
  const logDir = options.logDir === undefined ? join(options.dataDir, 'logs') : options.logDir;
  const appLog = logDir === null ? null : createAppLog({ dir: logDir, debug: settings.get().debugLog });
  appLog?.redactor.addSecret(resolveToken(tokens, env).token);
  const openFolder = options.openFolder;
  const app = createApp({
    logs: appLog ? logAccess(appLog, openFolder ? () => openFolder(appLog.dir) : undefined) : undefined,
    mode: options.mode,
    version: options.version,
    settings,
    tokens,
    artifacts,
    launcher: options.launcher,
    env,
    cudaProvider: cudaProviderInstalled(),
    log: (message) => {
      appLog?.logger.warn(message);
      options.log?.(message);
    },
    ...options.app,
  });
  const takeover = lock.takeoverMessage();
  if (takeover !== null) {
    appLog?.logger.warn({ dataDir: options.dataDir, previous: lock.tookOver }, takeover);
    options.log?.(takeover);
  }
  if (appLog) {
    appLog.logger.info({ version: options.version ?? null, mode: options.mode, platform: `${process.platform}-${process.arch}`, node: process.versions.node }, 'Modelbay started');
    app.subscribe((e) => {
      if (e.type === 'activity') logActivity(appLog, e.entry);
      else if (e.type === 'settings') appLog.setDebug(e.settings.settings.debugLog);
    });
  }
  const shutdown = app.shutdown.bind(app);
  app.shutdown = async () => {
    try {
      await shutdown();
    } finally {
      await appLog?.close();
      lock.release();
    }
  };
  return { app, lock, settings, tokens, artifacts, log: appLog };
}

/** Whether onnxruntime-node's CUDA provider library is installed (`npm run fetch-binaries`). */
export function cudaProviderInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url);
    let dir = dirname(require.resolve('onnxruntime-node'));
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(dir, 'bin', 'napi-v6', process.platform, process.arch, lib));
  } catch {
    return false;
  }
}
