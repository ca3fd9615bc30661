import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { MAX_COMMAND_BYTES, type AppEvent, type CommandReply } from '../../../src/shared/contract/api.js';
import { COMMAND_CHANNEL, EVENT_CHANNEL } from '../../../src/shared/contract/ipc.js';
import { createCommandDispatcher, isRendererUrl, isTrustedSender, registerIpc, type IpcSender, type RendererLocation } from '../../../src/main/electron/ipc.js';

const fileUrl = pathToFileURL('/opt/modelbay/out/renderer/index.html').href;
const prod: RendererLocation = { fileUrl, devOrigin: null };
const dev: RendererLocation = { fileUrl: null, devOrigin: 'http://localhost:5173' };

describe('IPC sender checks', () => {
  it('accepts only our renderer URL', () => {
    expect(isRendererUrl(fileUrl, prod)).toBe(true);
    expect(isRendererUrl(`${fileUrl}#/slots?x=1`, prod)).toBe(true);
    expect(isRendererUrl(pathToFileURL('/tmp/evil/index.html').href, prod)).toBe(false);
    expect(isRendererUrl('https://example.com/', prod)).toBe(false);
    expect(isRendererUrl('http://localhost:5173/', prod)).toBe(false);
    expect(isRendererUrl('http://localhost:5173/src/main.tsx', dev)).toBe(true);
    expect(isRendererUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isRendererUrl(fileUrl, dev)).toBe(false);
    expect(isRendererUrl(null, prod)).toBe(false);
    expect(isRendererUrl('not a url', prod)).toBe(false);
  });

  it('a sender must be one of our windows, from its main frame, showing our renderer', () => {
    const ours = new Set([3]);
    const good: IpcSender = { id: 3, frameUrl: fileUrl, mainFrame: true };
    expect(isTrustedSender(good, ours, prod)).toBe(true);
    expect(isTrustedSender({ ...good, id: 4 }, ours, prod)).toBe(false);
    expect(isTrustedSender({ ...good, mainFrame: false }, ours, prod)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: 'https://evil.example/' }, ours, prod)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: null }, ours, prod)).toBe(false);
  });
});

describe('command dispatcher', () => {
  const reply: CommandReply = { ok: true, result: { id: 'E1' } as never };

  it('an untrusted sender gets EMB-E403 and the app never sees the message', async () => {
    const execute = vi.fn(() => Promise.resolve(reply));
    const d = createCommandDispatcher({ app: { execute }, isTrusted: () => false });
    const r = await d.handle({ id: 1, frameUrl: 'https://evil.example/', mainFrame: true }, 'clearCache', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'EMB-E403' } });
    expect(execute).not.toHaveBeenCalled();
  });

  it('checks the name type and the payload size before the app', async () => {
    const execute = vi.fn(() => Promise.resolve(reply));
    const d = createCommandDispatcher({ app: { execute }, isTrusted: () => true });
    const sender: IpcSender = { id: 1, frameUrl: fileUrl, mainFrame: true };
    expect(await d.handle(sender, 42, {})).toMatchObject({ ok: false, error: { code: 'EMB-E404' } });
    expect(await d.handle(sender, 'updateSettings', { cacheDir: 'x'.repeat(MAX_COMMAND_BYTES) })).toMatchObject({ ok: false, error: { code: 'EMB-E405' } });
    expect(await d.handle(sender, 'pin', { n: 1n })).toMatchObject({ ok: false, error: { code: 'EMB-E401' } });
    expect(execute).not.toHaveBeenCalled();
    expect(await d.handle(sender, 'pin', { slot: 'E1' })).toBe(reply);
    expect(execute).toHaveBeenCalledWith('pin', { slot: 'E1' });
  });
});

describe('registerIpc', () => {
  function fakeWebContents(id: number, url: string): { id: number; sent: unknown[]; isDestroyed(): boolean; getURL(): string; send(ch: string, e: unknown): void; mainFrame: object } {
    const sent: unknown[] = [];
    return { id, sent, mainFrame: {}, isDestroyed: () => false, getURL: () => url, send: (ch, e) => sent.push([ch, e]) };
  }

  it('serves the command channel and pushes events only to windows showing our renderer', async () => {
    const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
    const ipcMain = {
      handle: (ch: string, fn: (event: unknown, ...args: unknown[]) => unknown) => handlers.set(ch, fn),
      removeHandler: (ch: string) => handlers.delete(ch),
    };
    let emit: (e: AppEvent) => void = () => undefined;
    const execute = vi.fn(() => Promise.resolve({ ok: true, result: 'done' } as unknown as CommandReply));
    const app = {
      execute,
      subscribe: (l: (e: AppEvent) => void) => {
        emit = l;
        return () => undefined;
      },
    };
    const ours = fakeWebContents(1, fileUrl);
    const navigatedAway = fakeWebContents(2, 'https://elsewhere.example/');
    const undo = registerIpc({ ipcMain: ipcMain as never, app, windows: () => [ours, navigatedAway] as never, renderer: prod });
    const handle = handlers.get(COMMAND_CHANNEL);
    expect(handle).toBeDefined();
    const frame = { url: fileUrl };
    ours.mainFrame = frame;
    expect(await handle?.({ sender: ours, senderFrame: frame }, 'pin', { slot: 'E1' })).toMatchObject({ ok: true });
    const stranger = fakeWebContents(9, fileUrl);
    const strangerFrame = { url: fileUrl };
    stranger.mainFrame = strangerFrame;
    expect(await handle?.({ sender: stranger, senderFrame: strangerFrame }, 'pin', { slot: 'E1' })).toMatchObject({ ok: false, error: { code: 'EMB-E403' } });
    const iframe = { url: fileUrl };
    expect(await handle?.({ sender: ours, senderFrame: iframe }, 'pin', { slot: 'E1' })).toMatchObject({ ok: false, error: { code: 'EMB-E403' } });
    expect(execute).toHaveBeenCalledTimes(1);

    const event: AppEvent = { type: 'stats', stats: { loaded: 1, bytes: 2, loads: 1, unloads: 0, hits: 0, failures: 0, evictions: 0 } };
    emit(event);
    emit({ type: 'snapshot', snapshot: {} as never });
    expect(ours.sent).toEqual([[EVENT_CHANNEL, event]]);
    expect(navigatedAway.sent).toEqual([]);
    undo();
    expect(handlers.has(COMMAND_CHANNEL)).toBe(false);
  });
});
