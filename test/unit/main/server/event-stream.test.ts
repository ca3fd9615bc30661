import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import type { AppEvent } from '../../../../src/shared/contract/api.js';
import { serveEventStream } from '../../../../src/main/server/event-stream.js';

/** A response whose socket never drains: everything written stays buffered. */
class StuckResponse extends EventEmitter {
  writableLength = 0;
  writableEnded = false;
  destroyed = false;
  chunks: string[] = [];
  socket = null;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    this.writableLength += chunk.length;
    return false;
  }
  end(): void {
    this.writableEnded = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

function source(): { emit(e: AppEvent): void; listeners: number; subscribe(l: (e: AppEvent) => void): () => void } {
  const ls = new Set<(e: AppEvent) => void>();
  return {
    emit: (e) => ls.forEach((l) => l(e)),
    get listeners() {
      return ls.size;
    },
    subscribe(l) {
      l({ type: 'stats', stats: { loaded: 0, bytes: 0, loads: 0, unloads: 0, hits: 0, failures: 0, evictions: 0 } });
      ls.add(l);
      return () => ls.delete(l);
    },
  };
}

describe('event stream', () => {
  it('a client that falls behind is disconnected and unsubscribed instead of buffering without bound', () => {
    const req = new EventEmitter() as IncomingMessage;
    const res = new StuckResponse();
    const src = source();
    const dropped: string[] = [];
    serveEventStream(req, res as unknown as ServerResponse, src, { heartbeatMs: 60_000, maxBufferedBytes: 2000, headers: {}, onDrop: (m) => dropped.push(m) });
    expect(src.listeners).toBe(1);
    for (let i = 0; i < 100 && !res.destroyed; i++) src.emit({ type: 'activity', entry: { at: i, kind: 'info', slot: null, message: 'x'.repeat(100) } });
    expect(res.destroyed).toBe(true);
    expect(src.listeners).toBe(0);
    expect(dropped).toHaveLength(1);
    expect(res.writableLength).toBeLessThan(2000 + 300);
  });

  it('the first event is sent at once, and closing the request unsubscribes', () => {
    const req = new EventEmitter() as IncomingMessage;
    const res = new StuckResponse();
    const src = source();
    serveEventStream(req, res as unknown as ServerResponse, src, { heartbeatMs: 60_000, maxBufferedBytes: 1 << 20, headers: {} });
    expect(res.chunks.some((c) => c.startsWith('data: {"type":"stats"'))).toBe(true);
    req.emit('close');
    expect(src.listeners).toBe(0);
    expect(res.writableEnded).toBe(true);
  });
});

describe('event stream heartbeats', () => {
  it('a comment line goes out every heartbeat period', () => {
    vi.useFakeTimers();
    try {
      const req = new EventEmitter() as IncomingMessage;
      const res = new StuckResponse();
      serveEventStream(req, res as unknown as ServerResponse, source(), { heartbeatMs: 1000, maxBufferedBytes: 1 << 20, headers: {} });
      vi.advanceTimersByTime(3000);
      expect(res.chunks.filter((c) => c === ': ping\n\n')).toHaveLength(3);
      req.emit('close');
      vi.advanceTimersByTime(3000);
      expect(res.chunks.filter((c) => c === ': ping\n\n')).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
