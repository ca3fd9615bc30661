/**
 * Messages between main and a session host leave in batches: whatever one side posts in
 * one turn of its event loop goes as one message (an array), so a dynamic batch of 64
 * requests costs one serialization and one pipe write each way instead of 64 — under
 * load those per-message costs were main's largest. Both ends unpack with `eachMessage`.
 */

/** Collects messages and hands them to `write` together at the end of the current turn. */
export class MessageBatcher {
  private queue: unknown[] = [];
  private scheduled = false;

  constructor(private readonly write: (batch: unknown[]) => void) {}

  post(message: unknown): void {
    this.queue.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is queued now (before an exit, say). */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.write(batch);
  }
}

/** The messages of one received message: a batch is unpacked, anything else is one message. */
export function eachMessage(raw: unknown, handle: (message: unknown) => void): void {
  if (Array.isArray(raw)) for (const m of raw as unknown[]) handle(m);
  else handle(raw);
}

/**
 * The message with every binary field that is a view into a larger buffer replaced by a
 * copy of its own bytes. Electron's postMessage clones a typed array's whole buffer: a
 * request body read from a socket chunk, or one request's vectors in a merged batch,
 * would otherwise carry everything around them across. (Node's IPC and the data channel
 * write a view's own bytes and need no copy.)
 */
export function ownBuffers<T>(message: T): T {
  if (typeof message !== 'object' || message === null) return message;
  return ownFields(ownFields(message as Record<string, unknown>, 'body'), 'value') as T;
}

type Fields = Record<string, unknown>;

/** `holder` with its `field` owned: a partial view copied, or (for `value`) its `data` and `body` owned. */
function ownFields(holder: Fields, field: string): Fields {
  const v = holder[field];
  if (field === 'value') {
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return holder;
    const inner = ownFields(ownFields(v as Fields, 'data'), 'body');
    return inner === v ? holder : { ...holder, value: inner };
  }
  if (!(v instanceof Uint8Array) && !(v instanceof Float32Array)) return holder;
  if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) return holder;
  // A Buffer's slice() is a view: copy through the Uint8Array constructor instead.
  return { ...holder, [field]: v instanceof Float32Array ? v.slice() : new Uint8Array(v) };
}
