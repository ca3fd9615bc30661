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
