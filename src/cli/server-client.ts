/**
 * Finds the running server (its data dir's token and port file; --port / --data-dir /
 * MODELBAY_PORT / MODELBAY_DATA_DIR override) and talks to it: POST /api/<command>, the
 * serving endpoints, and the event stream for progress.
 */
import { resolve } from 'node:path';
import type { AppEvent, CommandName, CommandReply, CommandResults } from '../shared/contract/api.js';
import { ModelbayError } from '../shared/errors/errors.js';
import { defaultDataDir } from '../main/headless/data-dir.js';
import { readDataDirLock } from '../main/core/state/data-dir-lock.js';
import { sameProcessAlive } from '../main/core/fs/process-identity.js';
import { readServerToken, serverTokenPath } from '../main/server/server-token.js';

export class NoServerError extends Error {}

export interface ServerTarget {
  baseUrl: string;
  token: string;
  dataDir: string;
}

const START_HINT = 'Start one with `modelbay serve` (or `npm run serve`), or point at it with --port N / --data-dir DIR.';

/** The token of the server that uses the data folder (`modelbay token`); NoServerError when none has run with it. */
export function tokenOf(dataDirOption: string | undefined, env: NodeJS.ProcessEnv): { token: string; dataDir: string } {
  const dataDir = dataDirOption ? resolve(dataDirOption) : defaultDataDir(env);
  const token = readServerToken(dataDir);
  if (token === null) throw new NoServerError(`No Modelbay server token in ${dataDir}: no server has run with this data folder. ${START_HINT}`);
  return { token, dataDir };
}

/** Whether a Modelbay server answers at the port: it refuses a request without a token with its own error shape. */
async function modelbayAnswersAt(baseUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/api/getSnapshot`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
    const body = (await res.json()) as { ok?: unknown; error?: { code?: unknown } };
    return res.status === 401 && body.ok === false && body.error?.code === 'EMB-E402';
  } catch {
    return false;
  }
}

export async function findServer(options: { port?: string; dataDir?: string }, env: NodeJS.ProcessEnv): Promise<ServerTarget> {
  // An empty variable is unset, as for MODELBAY_DATA_DIR.
  const port = options.port ?? (env['MODELBAY_PORT'] || undefined);
  let target: { token: string; dataDir: string };
  try {
    target = tokenOf(options.dataDir, env);
  } catch (e) {
    const baseUrl = `http://127.0.0.1:${port ?? ''}`;
    if (port !== undefined && e instanceof NoServerError && (await modelbayAnswersAt(baseUrl))) {
      const dataDir = options.dataDir ? resolve(options.dataDir) : defaultDataDir(env);
      throw new ModelbayError('EMB-E402', `A Modelbay server answers at ${baseUrl}, but ${serverTokenPath(dataDir)} does not exist, so there is no token to send: pass the --data-dir that server was started with (or set MODELBAY_DATA_DIR).`, { url: baseUrl, dataDir });
    }
    throw e;
  }
  const { token, dataDir } = target;
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
    if (res.status === 401) {
      // The server is up but this is not its token: say which token was sent, not "no token".
      throw new ModelbayError('EMB-E402', `The server at ${this.target.baseUrl} refused the token in ${serverTokenPath(this.target.dataDir)}: it belongs to another Modelbay (another data folder). Pass the --data-dir the server was started with, or its --port.`, { url: this.target.baseUrl, dataDir: this.target.dataDir });
    }
    return res;
  }
}
