// Electron entry: one window on the dashboard, with the security checklist applied —
// context isolation, sandbox, no Node integration, a strict CSP, navigation, new windows
// and permission requests denied, and every IPC sender checked (src/main/electron/ipc.ts).
import { app as electronApp, BrowserWindow, dialog, ipcMain, safeStorage, session, shell, utilityProcess, type WebContents } from 'electron';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toModelbayError } from '../../shared/errors/errors.js';
import type { App } from '../app/app.js';
import { composeApp, cudaProviderInstalled } from '../startup/compose.js';
import { gpuProblem, gpuRequired, probeGpu, REQUIRE_GPU_EXIT_CODE } from '../startup/gpu-requirement.js';
import { UtilityProcessLauncher } from '../core/runtime/index.js';
import { builtByteWorker } from '../core/artifacts/transfer/byte-thread.js';
import type { TokenCipher } from '../core/state/token-store.js';
import { isRendererUrl, registerIpc, type RendererLocation } from './ipc.js';
import { devRendererUrl } from './dev-renderer.js';
import { externalLinkAllowed } from './external-links.js';
import { RENDERER_CSP } from '../server/renderer-csp.js';
import { tokenEncryption } from './token-encryption.js';

const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

const rendererIndex = join(import.meta.dirname, '../renderer/index.html');
// The dev server URL is honoured only in explicit dev mode, unpackaged, on loopback (dev-renderer.ts).
const dev = devRendererUrl(process.env, electronApp.isPackaged);
if (dev.ignored) log(dev.ignored);
const devUrl = dev.url;
const renderer: RendererLocation = {
  fileUrl: devUrl ? null : pathToFileURL(rendererIndex).href,
  devOrigin: devUrl ? new URL(devUrl).origin : null,
};

const windows = new Set<BrowserWindow>();
let service: App | null = null;
let unregisterIpc: (() => void) | null = null;
// Links open in the browser only to the Hub in use and the project's docs (package.json "homepage").
let hubEndpoint = 'https://huggingface.co';
const docs = projectDocs();

electronApp.enableSandbox();
if (!electronApp.requestSingleInstanceLock()) {
  electronApp.quit();
} else {
  electronApp.on('second-instance', () => {
    const [win] = windows;
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  void electronApp.whenReady().then(startUp).catch((e: unknown) => {
    log(`Modelbay could not start: ${toModelbayError(e).message}`);
    electronApp.exit(1);
  });
}

async function startUp(): Promise<void> {
  hardenSession();
  const available = safeStorage.isEncryptionAvailable();
  const encryption = tokenEncryption({ platform: process.platform, available, backend: process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null });
  const cipher: TokenCipher | null = encryption.encrypt
    ? { encrypt: (plain) => safeStorage.encryptString(plain), decrypt: (data) => safeStorage.decryptString(data) }
    : null;
  if (!encryption.encrypt) log(`No system keyring (safeStorage backend ${encryption.backend}): a Hugging Face token set in Modelbay is kept unencrypted in a file only this user can read (0600).`);
  const appRoot = electronApp.getAppPath();
  const { app, settings } = await composeApp({
    mode: 'electron',
    // The same override as headless mode, so both can share (or keep apart) one data folder.
    dataDir: process.env['MODELBAY_DATA_DIR'] ? resolve(process.env['MODELBAY_DATA_DIR']) : electronApp.getPath('userData'),
    catalogPath: electronApp.isPackaged ? join(process.resourcesPath, 'catalog.json') : join(appRoot, 'resources', 'catalog.json'),
    launcher: new UtilityProcessLauncher({ utilityProcess, entry: join(import.meta.dirname, 'host.js') }),
    downloadWorker: builtByteWorker(import.meta.dirname),
    version: electronApp.getVersion(),
    tokenCipher: cipher,
    tokenStorage: { backend: encryption.backend, legacyDecrypt: available ? (data) => safeStorage.decryptString(data) : null },
    log,
    // shell.openPath answers '' on success, else why it failed.
    openFolder: async (dir) => (await shell.openPath(dir)) === '',
  });
  if (gpuRequired(process.argv.includes('--require-gpu'), process.env, settings.get().requireGpu)) {
    const problem = gpuProblem({ cudaProvider: cudaProviderInstalled(), sample: await probeGpu({ env: process.env }), env: process.env });
    if (problem) {
      // Blocking on purpose: nothing may start on the CPU behind the user's back.
      dialog.showMessageBoxSync({ type: 'error', title: 'Modelbay needs a GPU', message: problem.reason, detail: `${problem.remedy}\n\n(Strict GPU start is on: the --require-gpu flag, MODELBAY_REQUIRE_GPU or the "Require a GPU" setting.)`, buttons: ['Quit'] });
      await app.shutdown();
      electronApp.exit(REQUIRE_GPU_EXIT_CODE);
      return;
    }
  }
  service = app;
  app.subscribe((e) => {
    if (e.type === 'snapshot') hubEndpoint = e.snapshot.settings.endpoint;
    else if (e.type === 'settings') hubEndpoint = e.settings.endpoint;
  });
  unregisterIpc = registerIpc({
    ipcMain,
    app,
    windows: () => [...windows].filter((w) => !w.isDestroyed()).map((w) => w.webContents),
    renderer,
    log,
  });
  await app.start();
  createWindow();
  electronApp.on('activate', () => {
    if (windows.size === 0) createWindow();
  });
}

function hardenSession(): void {
  const s = session.defaultSession;
  // The dashboard needs no camera, notifications, clipboard or anything else a page may ask for.
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  if (!devUrl) {
    // The dev server injects inline scripts for hot reload; production gets the strict policy.
    s.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP], 'X-Content-Type-Options': ['nosniff'] } });
    });
  }
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Modelbay',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  windows.add(win);
  win.on('closed', () => windows.delete(win));
  win.once('ready-to-show', () => win.show());
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(rendererIndex);
}

// Every webContents, ours or not: no navigation away, no new windows, no webviews.
electronApp.on('web-contents-created', (_event, contents: WebContents) => {
  contents.setWindowOpenHandler(({ url }) => {
    // Links to the Hub and the docs open in the user's browser, never inside the app; nothing else opens.
    if (externalLinkAllowed(url, { hubEndpoint, docs })) void shell.openExternal(url);
    else log(`Did not open a link outside the allowlist: ${(url.split(/[?#]/)[0] ?? '').slice(0, 200)}`);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!isRendererUrl(url, renderer)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isRendererUrl(url, renderer)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

electronApp.on('window-all-closed', () => {
  if (process.platform !== 'darwin') electronApp.quit();
});

// Quit waits for the models to unload and the hosts to stop (their VRAM is given back).
let shutDown = false;
electronApp.on('before-quit', (event) => {
  if (shutDown || !service) return;
  event.preventDefault();
  const app = service;
  service = null;
  unregisterIpc?.();
  void app.shutdown().catch((e: unknown) => log(`Shutdown failed: ${toModelbayError(e).message}`)).finally(() => {
    shutDown = true;
    electronApp.quit();
  });
});

function projectDocs(): string[] {
  try {
    const pkg = JSON.parse(readFileSync(join(electronApp.getAppPath(), 'package.json'), 'utf8')) as { homepage?: unknown };
    return typeof pkg.homepage === 'string' ? [pkg.homepage] : [];
  } catch {
    return [];
  }
}
