import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../../src/shared/contract/api.js';
import { ModelbayError } from '../../../../src/shared/errors/errors.js';
import { startServer, type RunningServer } from '../../../../src/main/server/http-server.js';
import { createHttpApi, type EventSourceLike } from '../../../../src/renderer/src/api/http-client.js';
import { harness, type Harness } from '../../../../src/devkit/app/app-harness.js';

describe('HTTP client for window.modelbay', () => {
  let h: Harness;
  let server: RunningServer;
  const token = 'a'.repeat(43);
  // A browser sends the cookie; Node's fetch has no cookie jar, so the test adds the header.
  const authedFetch: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    h = await harness();
    server = await startServer({ app: h.app, token, port: 0, rendererDir: null });
  });
  afterAll(async () => {
    await server.close();
    await h.close();
  });

  it('runs commands against the real server and returns their results', async () => {
    const api = createHttpApi(server.url, { fetch: authedFetch });
    expect(await api.pin({ slot: 'E2' })).toMatchObject({ id: 'E2', pinned: true });
    const snap = await api.getSnapshot({});
    expect(snap.slots.find((s) => s.id === 'E2')?.pinned).toBe(true);
  });

  it('failures become ModelbayErrors with the server\'s code and details', async () => {
    const api = createHttpApi(server.url, { fetch: authedFetch });
    const err = await api.setIdleTtl({ slot: 'E1', ttlMs: -1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelbayError);
    expect((err as ModelbayError).code).toBe('EMB-E401');
    expect((err as ModelbayError).details['issues']).toBeDefined();
    const noToken = await createHttpApi(server.url).getSnapshot({}).catch((e: unknown) => e);
    expect((noToken as ModelbayError).code).toBe('EMB-E402');
  });

  it('a server that cannot be reached is a clear error, not a crash', async () => {
    const api = createHttpApi('http://127.0.0.1:9', { fetch: (input, init) => fetch(input, init) });
    const err = await api.getSnapshot({}).catch((e: unknown) => e);
    expect((err as ModelbayError).message).toContain('cannot be reached');
  });

  it('subscribe delivers each message, and reopens a stream the server closed', () => {
    const sources: FakeSource[] = [];
    class FakeSource implements EventSourceLike {
      readyState = 0;
      onmessage: ((event: { data: string }) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;
      onopen: ((event: unknown) => void) | null = null;
      closed = false;
      constructor(readonly url: string) {
        sources.push(this);
      }
      close(): void {
        this.closed = true;
        this.readyState = 2;
      }
    }
    const timers: Array<() => void> = [];
    const api = createHttpApi('http://127.0.0.1:1/', { EventSource: FakeSource, setTimeout: (fn) => timers.push(fn), clearTimeout: () => undefined });
    const seen: AppEvent[] = [];
    const off = api.subscribe((e) => seen.push(e));
    expect(sources[0]?.url).toBe('http://127.0.0.1:1/api/events');
    sources[0]?.onmessage?.({ data: JSON.stringify({ type: 'snapshot', snapshot: { at: 1 } }) });
    sources[0]?.onmessage?.({ data: 'not json' });
    // A transient error: EventSource retries by itself, no new source.
    sources[0]?.onerror?.({});
    expect(sources).toHaveLength(1);
    // The server refused (401, restart): the client reopens after a delay.
    (sources[0] as FakeSource).readyState = 2;
    sources[0]?.onerror?.({});
    expect(timers).toHaveLength(1);
    timers[0]?.();
    expect(sources).toHaveLength(2);
    sources[1]?.onmessage?.({ data: JSON.stringify({ type: 'snapshot', snapshot: { at: 2 } }) });
    expect(seen.map((e) => (e.type === 'snapshot' ? e.snapshot.at : e.type))).toEqual([1, 2]);
    off();
    expect(sources[1]?.closed).toBe(true);
  });
});
