import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMAND_NAMES, type AppEvent, type CommandReply } from '../../../src/shared/contract/api.js';
import { ModelbayError } from '../../../src/shared/errors/errors.js';
import { COMMAND_CHANNEL, decodeBridgeError, EVENT_CHANNEL } from '../../../src/shared/contract/ipc.js';
import { createCommandDispatcher } from '../../../src/main/electron/ipc.js';
import { createPreloadApi, type IpcRendererLike } from '../../../src/preload/api.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

/** The preload and the App joined by an in-memory IPC pair that clones like Electron does. */
function pair(h: Harness): IpcRendererLike {
  const dispatcher = createCommandDispatcher({ app: h.app, isTrusted: () => true });
  const listeners: Array<(event: unknown, payload: unknown) => void> = [];
  h.app.subscribe((e) => {
    if (e.type !== 'snapshot') for (const l of listeners) l({}, structuredClone(e));
  });
  return {
    invoke: async (channel, name, input) => {
      expect(channel).toBe(COMMAND_CHANNEL);
      return structuredClone(await dispatcher.handle({ id: 1, frameUrl: null, mainFrame: true }, name, structuredClone(input)));
    },
    on: (channel, l) => {
      expect(channel).toBe(EVENT_CHANNEL);
      listeners.push(l);
    },
  };
}

describe('preload window.modelbay', () => {
  it('has one function per command plus subscribe, and nothing of ipcRenderer', async () => {
    const h = await harness();
    open.push(h);
    const api = createPreloadApi(pair(h)) as unknown as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...COMMAND_NAMES, 'subscribe'].sort());
    for (const key of Object.keys(api)) expect(typeof api[key]).toBe('function');
    for (const forbidden of ['invoke', 'send', 'on', 'sendSync', 'ipcRenderer']) expect(api[forbidden]).toBeUndefined();
  });

  it('commands resolve with their result; failures reject with the code and details intact', async () => {
    const h = await harness();
    open.push(h);
    const api = createPreloadApi(pair(h));
    expect(await api.pin({ slot: 'E1' })).toMatchObject({ id: 'E1', pinned: true });
    const err = decodeBridgeError(await api.setPreload({ slot: 'E1', preload: 'yes' as unknown as boolean }).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(ModelbayError);
    expect(err.code).toBe('EMB-E401');
    expect(err.details['issues']).toEqual([expect.objectContaining({ path: 'preload' })]);
    const unknown = decodeBridgeError(await (api as unknown as Record<string, (i: unknown) => Promise<unknown>>)['getSnapshot']?.({ extra: 1 }).catch((e: unknown) => e));
    expect(unknown.code).toBe('EMB-E401');
  });

  it('subscribe: a snapshot first, then deltas; nothing after unsubscribe', async () => {
    const h = await harness();
    open.push(h);
    const api = createPreloadApi(pair(h));
    const seen: AppEvent[] = [];
    const off = api.subscribe((e) => seen.push(e));
    await vi.waitFor(() => expect(seen[0]?.type).toBe('snapshot'));
    await api.pin({ slot: 'E5' });
    expect(seen.filter((e) => e.type === 'slot').at(-1)).toMatchObject({ slot: { id: 'E5', pinned: true } });
    off();
    const n = seen.length;
    await api.unpin({ slot: 'E5' });
    expect(seen.length).toBe(n);
  });

  it('events that arrive before the snapshot are dropped (the snapshot already holds them)', async () => {
    let push: (payload: unknown) => void = () => undefined;
    let answer: (reply: CommandReply) => void = () => undefined;
    const ipc: IpcRendererLike = {
      invoke: () => new Promise((resolve) => (answer = resolve)),
      on: (_ch, l) => {
        push = (p) => l({}, p);
      },
    };
    const api = createPreloadApi(ipc);
    const seen: string[] = [];
    api.subscribe((e) => seen.push(e.type));
    push({ type: 'stats', stats: {} });
    answer({ ok: true, result: { at: 1 } as never });
    await new Promise((r) => setTimeout(r, 0));
    push({ type: 'devices', devices: [] });
    expect(seen).toEqual(['snapshot', 'devices']);
  });
});
