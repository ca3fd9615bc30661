/**
 * Finds the running server (its data dir's token and port file; --port / --data-dir /
 * MODELBAY_PORT / MODELBAY_DATA_DIR override) and talks to it: POST /api/<command>, the
 * serving endpoints, and the event stream for progress.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppEvent, CommandName, CommandReply, CommandResults } from '../shared/contract/api.js';
import { ModelbayError } from '../shared/errors/errors.js';
import { defaultDataDir } from '../main/headless/data-dir.js';
import { readDataDirLock } from '../main/core/state/data-dir-lock.js';
import { sameProcessAlive } from '../main/core/fs/process-identity.js';

export class NoServerError extends Error {}

export interface ServerTarget {
  baseUrl: string;
  token: string;
  dataDir: string;
}

const START_HINT = 'Start one with `modelbay serve` (or `npm run serve`), or point at it with --port N / --data-dir DIR.';

export function findServer(options: { port?: string; dataDir?: string }, env: NodeJS.ProcessEnv): ServerTarget {
  const dataDir = options.dataDir ? resolve(options.dataDir) : defaultDataDir(env);
  let token: string;
  try {
    token = readFileSync(join(dataDir, 'server-token'), 'utf8').trim();
  } catch {
    throw new NoServerError(`No Modelbay server token in ${dataDir}: no server has run with this data folder. ${START_HINT}`);
  }
  // An empty variable is unset, as for MODELBAY_DATA_DIR.
  const port = options.port ?? (env['MODELBAY_PORT'] || undefined);
  if (port !== undefined) return { baseUrl: `http://127.0.0.1:${port}`, token, dataDir };
  // The running instance records its port in the data folder's lock.
  const lock = readDataDirLock(dataDir);
  if (!lock || !sameProcessAlive(lock.pid, lock.startTime)) {
    throw new NoServerError(`No Modelbay is running with the data folder ${dataDir}. ${START_HINT}`);
  }
  if (lock.port === null) {
    throw new NoServerError(`Modelbay (pid ${lock.pid}, ${lock.mode}) uses ${dataDir} but serves no HTTP port${lock.mode === 'headless' ? ' yet (it is starting)' : ''}. ${START_HINT}`);
  }
  return { baseUrl: `http://127.0.0.1:${lock.port}`, token, dataDir };
}

export class ServerClient {
  constructor(private readonly target: ServerTarget) {}

  get url(): string {
    return `${this.target.baseUrl}/`;
  }

  async command<K extends CommandName>(name: K, input: unknown = {}): Promise<CommandResults[K]> {
    const res = await this.fetch(`/api/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
    const reply = (await res.json()) as CommandReply<K>;
    if (!reply.ok) throw ModelbayError.fromJSON(reply.error);
    return reply.result;
  }

  /** A serving endpoint (/v1/…, /embed_sparse, /embed_all); errors arrive in OpenAI's shape. */
  async serve(path: string, body: unknown): Promise<unknown> {
    const res = await this.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = (await res.json()) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (!res.ok) throw ModelbayError.fromJSON(answer.error);
    return answer;
  }

  /** Follows the event stream until `signal` aborts; `onEvent` sees every event. */
  async events(onEvent: (event: AppEvent) => void, signal: AbortSignal): Promise<void> {
    let res: Response;
    try {
      res = await this.fetch('/api/events', { signal });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    const reader = res.body?.getReader();
    if (!reader) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const data = buffer.slice(0, i).split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          buffer = buffer.slice(i + 2);
          if (data) onEvent(JSON.parse(data) as AppEvent);
        }
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.target.baseUrl}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.target.token}` } });
    } catch (e) {
      if (init.signal?.aborted) throw e;
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new NoServerError(`No Modelbay server answers at ${this.target.baseUrl} (${cause}). ${START_HINT}`);
    }
    return res;
  }
}
