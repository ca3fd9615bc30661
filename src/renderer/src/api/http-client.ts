/**
 * window.modelbay over the headless server: one function per command (POST
 * /api/<command>) and an event subscription over Server-Sent Events (GET /api/events).
 * The server authenticates the page by the cookie it set from the printed URL, so
 * requests carry credentials for the same origin only. A stream that breaks is reopened
 * with backoff; the server starts every connection with a fresh snapshot.
 */
import { COMMAND_NAMES, type AppEvent, type CommandReply, type ModelbayApi } from '../../../shared/contract/api.js';
import { ModelbayError } from '../../../shared/errors/errors.js';

/** The part of EventSource the client uses (injectable for tests). */
export interface EventSourceLike {
  readonly readyState: number;
  onmessage: ((event: { data: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onopen: ((event: unknown) => void) | null;
  close(): void;
}

export interface HttpApiOptions {
  fetch?: typeof fetch;
  EventSource?: new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;
  /** Delay before reopening a closed stream; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

const CLOSED = 2;

/** `base` defaults to the page's own folder, so the dashboard also works behind a proxy that adds a path prefix. */
export function createHttpApi(base = '.', options: HttpApiOptions = {}): ModelbayApi {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const root = base.replace(/\/+$/, '');
  const setTimer = options.setTimeout ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = options.clearTimeout ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));

  const call = async (name: string, input: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await doFetch(`${root}/api/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input ?? {}),
        credentials: 'same-origin',
      });
    } catch (e) {
      throw new ModelbayError('EMB-E500', `Modelbay's server cannot be reached: ${(e as Error).message}. Is \`modelbay serve\` still running?`, { command: name });
    }
    let reply: CommandReply;
    try {
      reply = (await res.json()) as CommandReply;
    } catch {
      throw new ModelbayError('EMB-E500', `Modelbay's server answered ${res.status} without a readable reply.`, { command: name, status: res.status });
    }
    if (reply && reply.ok === true) return reply.result;
    throw ModelbayError.fromJSON(reply?.error);
  };

  const subscribe = (listener: (event: AppEvent) => void): (() => void) => {
    const Source = options.EventSource ?? (globalThis.EventSource as unknown as HttpApiOptions['EventSource']);
    if (!Source) throw new ModelbayError('EMB-E500', 'This browser has no EventSource: live updates are not available.', {});
    let stopped = false;
    let source: EventSourceLike | null = null;
    let timer: unknown = null;
    let delay = options.retryMs ?? 1000;
    const open = (): void => {
      if (stopped) return;
      const s = new Source(`${root}/api/events`, { withCredentials: false });
      source = s;
      s.onopen = () => {
        delay = options.retryMs ?? 1000;
      };
      s.onmessage = (e) => {
        let event: AppEvent;
        try {
          event = JSON.parse(e.data) as AppEvent;
        } catch {
          return;
        }
        listener(event);
      };
      s.onerror = () => {
        // EventSource retries by itself unless the server refused the stream (it is CLOSED then).
        if (s.readyState !== CLOSED || stopped) return;
        s.close();
        timer = setTimer(open, delay);
        delay = Math.min(delay * 2, options.maxRetryMs ?? 30_000);
      };
    };
    open();
    return () => {
      stopped = true;
      if (timer !== null) clearTimer(timer);
      source?.close();
    };
  };

  const api: Record<string, unknown> = { subscribe };
  for (const name of COMMAND_NAMES) api[name] = (input: unknown) => call(name, input);
  return api as ModelbayApi;
}
