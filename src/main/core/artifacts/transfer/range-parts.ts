/**
 * A large file fetched as parallel Range parts into a preallocated partial file (as
 * Ollama pulls do). Each part's progress is saved beside the data, so a restart resumes
 * every part where it stopped. The hash follows the contiguous prefix of finished bytes
 * while parts still arrive, so hashing overlaps the transfer instead of following it.
 */
import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { contentEncodings } from '../hub/content-decoding.js';
import { contentRange, dropBody, type HubResponse } from '../hub/hub-client.js';
import { LowSpeedGuard, type LowSpeedLimit } from '../hub/low-speed.js';
import { cancelled, closedEarly, tooSlow } from '../hub/transfer-errors.js';

const partsSchema = z.object({
  v: z.literal(1),
  etag: z.string(),
  size: z.number().int().nonnegative(),
  parts: z.array(z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative(), done: z.number().int().nonnegative() })).min(1),
});
export type PartsState = z.infer<typeof partsSchema>;

/** Thrown when the server answers a Range with the whole body: parts are impossible, go single-stream. */
export class RangeIgnoredError extends Error {
  constructor() {
    super('The server ignored a Range request.');
  }
}

export function planParts(etag: string, size: number, count: number): PartsState {
  const n = Math.max(1, Math.min(count, Math.ceil(size / (1 << 20))));
  const per = Math.ceil(size / n);
  const parts: PartsState['parts'] = [];
  for (let start = 0; start < size; start += per) parts.push({ start, end: Math.min(size, start + per) - 1, done: 0 });
  return { v: 1, etag, size, parts };
}

/** The saved parts of a partial; `etag` null accepts any (when only the shape matters). */
export async function loadParts(path: string, etag: string | null, size: number): Promise<PartsState | null> {
  try {
    const parsed = partsSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success || (etag !== null && parsed.data.etag !== etag) || parsed.data.size !== size) return null;
    // The parts must tile [0, size) exactly, or the saved state cannot be trusted.
    let next = 0;
    for (const p of parsed.data.parts) {
      if (p.start !== next || p.end < p.start || p.done > p.end - p.start + 1) return null;
      next = p.end + 1;
    }
    return next === size ? parsed.data : null;
  } catch {
    return null;
  }
}

async function saveParts(path: string, state: PartsState): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, path);
}

/** Where the contiguous finished prefix ends. */
export function contiguousEnd(state: PartsState): number {
  for (const p of state.parts) {
    if (p.done < p.end - p.start + 1) return p.start + p.done;
  }
  return state.size;
}

export interface PartsContext {
  /** GET the bytes [start, end] (the downloader's fetch, which renews an expired CDN URL). */
  fetch: (start: number, end: number, signal: AbortSignal) => Promise<HubResponse>;
  url: string;
  etag: string;
  size: number;
  partialPath: string;
  partsPath: string;
  state: PartsState;
  fresh: boolean;
  /** Told each time the contiguous prefix on disk grows (a TailHasher). */
  hash: { advance(to: number): void };
  signal: AbortSignal | undefined;
  idleTimeoutMs: number;
  ctx: { repo: string; revision: string; path: string };
  /** Runs one attempt with the downloader's retry policy; `kept` says how far the part's bytes on disk reach. */
  retrying: (signal: AbortSignal, attempt: () => Promise<void>, kept: () => number) => Promise<void>;
  lowSpeed: LowSpeedLimit | null;
  onBytes: (present: number) => void;
  now: () => number;
}

const WRITE_BATCH = 4 << 20;
/** A slow part still reaches the disk (and its saved progress) this often. */
const WRITE_EVERY_MS = 250;
const SAVE_EVERY_MS = 500;

/** Fetch every unfinished part; resolves when every byte is on disk (the caller awaits the hash). */
export async function downloadInParts(pc: PartsContext): Promise<void> {
  const { state } = pc;
  const inner = new AbortController();
  const onOuterAbort = (): void => inner.abort();
  pc.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (pc.signal?.aborted) inner.abort();

  let fh: FileHandle;
  if (pc.fresh) {
    // Parts state first: a preallocated file of zeros must never look like a finished prefix.
    await saveParts(pc.partsPath, state);
    fh = await open(pc.partialPath, 'w+');
    await fh.truncate(pc.size);
  } else {
    fh = await open(pc.partialPath, 'r+');
  }

  let lastSave = pc.now();
  let saving: Promise<void> | null = null;
  const maybeSave = (force: boolean): Promise<void> => {
    if (!force && pc.now() - lastSave < SAVE_EVERY_MS) return Promise.resolve();
    lastSave = pc.now();
    const snapshot = JSON.parse(JSON.stringify(state)) as PartsState;
    const prev = saving ?? Promise.resolve();
    saving = prev.then(() => saveParts(pc.partsPath, snapshot)).catch(() => undefined);
    return saving;
  };
  const present = (): number => state.parts.reduce((a, p) => a + p.done, 0);

  // The hasher trails the contiguous prefix: tell it whenever that prefix grows.
  let told = 0;
  const poke = (): void => {
    const end = contiguousEnd(state);
    if (end > told) { told = end; pc.hash.advance(end); }
  };
  poke();

  const runPart = async (part: PartsState['parts'][number]): Promise<void> => {
    const len = part.end - part.start + 1;
    await pc.retrying(inner.signal, async () => {
      const from = part.start + part.done;
      const res = await pc.fetch(from, part.end, inner.signal);
      // A whole body, or an encoded one whose ranges are not the file's: one stream copes with both.
      if (res.status === 200 || contentEncodings(res).length > 0) {
        dropBody(res);
        throw new RangeIgnoredError();
      }
      const cr = contentRange(res);
      if (res.status === 416 || !cr || cr.start !== from || (cr.total !== null && cr.total !== pc.size)) {
        dropBody(res);
        throw new ModelbayError('EMB-E109', `The server's file is not the size the Hub announced (${pc.size} bytes).`, { expected: pc.size, contentRange: res.headers['content-range'] ?? null, status: res.status });
      }
      let batch: Buffer[] = [];
      let batchBytes = 0;
      const flush = async (): Promise<void> => {
        if (batchBytes === 0) return;
        // writev, not concat: copying megabytes on the main thread shows as event-loop delay.
        const bufs = batch;
        batch = [];
        const n = batchBytes;
        batchBytes = 0;
        await fh.writev(bufs, part.start + part.done);
        part.done += n;
        pc.onBytes(present());
        poke();
        await maybeSave(false);
      };
      let lastWrite = pc.now();
      const guard = new LowSpeedGuard(pc.lowSpeed, pc.now);
      let received = 0;
      try {
        for await (const c of res.body) {
          const chunk = c as Buffer;
          const room = len - part.done - batchBytes;
          if (chunk.length > room) {
            dropBody(res);
            throw new ModelbayError('EMB-E109', 'The server sent more bytes than the range asked for.', { part: part.start });
          }
          batch.push(chunk);
          batchBytes += chunk.length;
          received += chunk.length;
          if (guard.tooSlow(received)) {
            dropBody(res);
            throw tooSlow(res.url, pc.lowSpeed?.limitBps ?? 0, pc.lowSpeed?.windowMs ?? 0, pc.ctx.path);
          }
          if (batchBytes >= WRITE_BATCH || pc.now() - lastWrite >= WRITE_EVERY_MS) {
            lastWrite = pc.now();
            await flush();
          }
        }
      } catch (err) {
        if (inner.signal.aborted) throw cancelled();
        if (err instanceof ModelbayError) throw err;
        throw closedEarly(err, pc.url, { received: part.start + part.done + batchBytes, size: pc.size, path: pc.ctx.path });
      } finally {
        await flush();
      }
      if (part.done < len) throw closedEarly(new Error('the body ended early'), pc.url, { received: part.start + part.done, size: pc.size, path: pc.ctx.path });
    }, () => part.done);
  };

  try {
    const pending = state.parts.filter((p) => p.done < p.end - p.start + 1);
    const results = await Promise.allSettled(pending.map((p) => runPart(p).catch((err: unknown) => { inner.abort(); throw err; })));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Prefer the cause over the sibling parts' "cancelled".
      const root = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof ModelbayError && r.reason.code === 'EMB-E114'));
      throw (pc.signal?.aborted ? failed.reason : (root ?? failed).reason) as Error;
    }
  } finally {
    await maybeSave(true);
    await fh.close();
    pc.signal?.removeEventListener('abort', onOuterAbort);
  }
}
