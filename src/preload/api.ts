/**
 * window.modelbay over IPC, written against a minimal ipcRenderer shape so it can be
 * tested without Electron. One function per command, plus subscribe; ipcRenderer itself
 * never reaches the page.
 */
import type { AppEvent, CommandReply, ModelbayApi } from '../shared/contract/api.js';
import { BRIDGE_COMMAND_NAMES } from '../shared/contract/command-names.js';
import { COMMAND_CHANNEL, encodeBridgeError, EVENT_CHANNEL } from '../shared/contract/ipc.js';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
}

export function createPreloadApi(ipc: IpcRendererLike): ModelbayApi {
  const call = async (name: string, input: unknown): Promise<unknown> => {
    const reply = (await ipc.invoke(COMMAND_CHANNEL, name, input ?? {})) as CommandReply;
    if (reply.ok) return reply.result;
    throw encodeBridgeError(reply.error);
  };

  interface Subscription {
    listener: (event: AppEvent) => void;
    /** Until its snapshot arrives: events before it are already in the snapshot. */
    pending: boolean;
  }
  const subscriptions = new Set<Subscription>();
  ipc.on(EVENT_CHANNEL, (_event, payload) => {
    for (const s of subscriptions) {
      if (s.pending) continue;
      try {
        s.listener(payload as AppEvent);
      } catch {
        // One listener's failure must not starve the others.
      }
    }
  });

  const api: Record<string, unknown> = {};
  for (const name of BRIDGE_COMMAND_NAMES) api[name] = (input: unknown) => call(name, input);
  api['subscribe'] = (listener: (event: AppEvent) => void): (() => void) => {
    const s: Subscription = { listener, pending: true };
    subscriptions.add(s);
    void (ipc.invoke(COMMAND_CHANNEL, 'getSnapshot', {}) as Promise<CommandReply<'getSnapshot'>>).then((reply) => {
      if (!subscriptions.has(s)) return;
      if (reply.ok) s.listener({ type: 'snapshot', snapshot: reply.result });
      s.pending = false;
    }, () => {
      s.pending = false;
    });
    return () => {
      subscriptions.delete(s);
    };
  };
  return api as ModelbayApi;
}
