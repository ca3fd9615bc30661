/**
 * The App over Electron IPC. Only our own windows may send commands: the sender must be
 * one of our webContents and the message must come from its main frame showing our
 * renderer (a page that navigated elsewhere, an iframe or a stray webContents is
 * dropped, as Electron Fiddle does). Payloads are size-checked and validated by the
 * App; answers and errors cross as data (CommandReply).
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { MAX_COMMAND_BYTES, type AppEvent, type CommandReply } from '../../shared/contract/api.js';
import { COMMAND_CHANNEL, EVENT_CHANNEL } from '../../shared/contract/ipc.js';
import { ModelbayError } from '../../shared/errors/errors.js';
import type { App } from '../app/app.js';

/** Where a message came from, as far as the checks need to know. */
export interface IpcSender {
  /** webContents id. */
  id: number;
  /** URL of the frame that sent it; null when unknown (a frame already gone). */
  frameUrl: string | null;
  /** Whether that frame is the main frame of its webContents. */
  mainFrame: boolean;
}

export interface RendererLocation {
  /** file:// URL of the built renderer's index.html (production). */
  fileUrl: string | null;
  /** Origin of the dev server (ELECTRON_RENDERER_URL) during development. */
  devOrigin: string | null;
}

/** Whether a frame URL is our renderer. */
export function isRendererUrl(url: string | null, where: RendererLocation): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (where.fileUrl && parsed.protocol === 'file:') {
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}` === where.fileUrl;
  }
  if (where.devOrigin && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) return parsed.origin === where.devOrigin;
  return false;
}

export function isTrustedSender(sender: IpcSender, windows: ReadonlySet<number>, where: RendererLocation): boolean {
  return windows.has(sender.id) && sender.mainFrame && isRendererUrl(sender.frameUrl, where);
}

export interface CommandDispatcher {
  /** Answers a command from `sender`; untrusted senders get EMB-E403 and the app never sees the message. */
  handle(sender: IpcSender, name: unknown, input: unknown): Promise<CommandReply>;
}

export function createCommandDispatcher(options: {
  app: Pick<App, 'execute'>;
  isTrusted: (sender: IpcSender) => boolean;
  log?: (message: string) => void;
}): CommandDispatcher {
  const log = options.log ?? (() => undefined);
  return {
    async handle(sender, name, input) {
      if (!options.isTrusted(sender)) {
        log(`Dropped a command from an untrusted sender (webContents ${sender.id}, ${sender.frameUrl ?? 'no frame'}).`);
        return { ok: false, error: new ModelbayError('EMB-E403', 'Commands are accepted only from Modelbay\'s own window.', {}).toJSON() };
      }
      if (typeof name !== 'string') {
        return { ok: false, error: new ModelbayError('EMB-E404', 'A command name must be a string.', {}).toJSON() };
      }
      let bytes: number;
      try {
        bytes = Buffer.byteLength(JSON.stringify(input ?? {}) ?? '', 'utf8');
      } catch {
        return { ok: false, error: new ModelbayError('EMB-E401', `Invalid input for ${name.slice(0, 64)}: it is not plain data.`, { command: name.slice(0, 64) }).toJSON() };
      }
      if (bytes > MAX_COMMAND_BYTES) {
        return { ok: false, error: new ModelbayError('EMB-E405', `The input for ${name.slice(0, 64)} is ${bytes} bytes; the limit is ${MAX_COMMAND_BYTES}.`, { bytes, limit: MAX_COMMAND_BYTES }).toJSON() };
      }
      return options.app.execute(name, input);
    },
  };
}

function senderOf(event: IpcMainInvokeEvent): IpcSender {
  const frame = event.senderFrame;
  return {
    id: event.sender.id,
    frameUrl: frame ? frame.url : null,
    mainFrame: frame !== null && frame === event.sender.mainFrame,
  };
}

/**
 * Serve the App on ipcMain and push its events to our windows. `windows` lists the
 * webContents allowed to talk to us; returns the function that undoes it all.
 */
export function registerIpc(options: {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  app: Pick<App, 'execute' | 'subscribe'>;
  windows: () => WebContents[];
  renderer: RendererLocation;
  log?: (message: string) => void;
}): () => void {
  const trusted = (): Set<number> => new Set(options.windows().map((w) => w.id));
  const dispatcher = createCommandDispatcher({
    app: options.app,
    isTrusted: (sender) => isTrustedSender(sender, trusted(), options.renderer),
    log: options.log,
  });
  options.ipcMain.handle(COMMAND_CHANNEL, (event, name: unknown, input: unknown) => dispatcher.handle(senderOf(event), name, input));
  const off = options.app.subscribe((event: AppEvent) => {
    // The preload asks for its own snapshot; pushing ours would only duplicate it.
    if (event.type === 'snapshot') return;
    for (const w of options.windows()) {
      if (!w.isDestroyed() && isRendererUrl(w.getURL(), options.renderer)) w.send(EVENT_CHANNEL, event);
    }
  });
  return () => {
    off();
    options.ipcMain.removeHandler(COMMAND_CHANNEL);
  };
}
