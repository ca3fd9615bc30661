/**
 * GET /api/events: the App's events as Server-Sent Events. Each connection subscribes
 * afresh, so it starts with a full snapshot — a client that reconnects is never left
 * with a gap. A client that cannot keep up is disconnected once its unsent bytes pass a
 * bound (it reconnects and gets a new snapshot) instead of growing main's memory.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppEvent } from '../../shared/contract/api.js';

export interface EventSource {
  subscribe(listener: (event: AppEvent) => void): () => void;
}

export interface EventStreamOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
  headers: Record<string, string>;
  onDrop?: (reason: string) => void;
}

export function serveEventStream(req: IncomingMessage, res: ServerResponse, source: EventSource, options: EventStreamOptions): () => void {
  res.writeHead(200, {
    ...options.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Proxies (nginx in front of an SSH tunnel) must not buffer the stream.
    'x-accel-buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  res.write('retry: 2000\n\n');
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    off();
    if (!res.writableEnded) res.end();
  };
  const write = (chunk: string): void => {
    if (!open) return;
    if (res.writableLength > options.maxBufferedBytes) {
      options.onDrop?.(`an event-stream client fell ${res.writableLength} bytes behind and was disconnected`);
      open = false;
      clearInterval(heartbeat);
      off();
      res.destroy();
      return;
    }
    res.write(chunk);
  };
  const heartbeat = setInterval(() => write(': ping\n\n'), options.heartbeatMs);
  heartbeat.unref();
  // subscribe() delivers the snapshot synchronously, before `off` exists: keep it defined.
  let off: () => void = () => undefined;
  off = source.subscribe((event) => write(`data: ${JSON.stringify(event)}\n\n`));
  if (!open) off();
  req.on('close', close);
  res.on('error', close);
  return close;
}
