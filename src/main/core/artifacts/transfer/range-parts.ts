/**
 * A large file fetched as parallel Range parts into a preallocated partial file (as
 * Ollama pulls do). Each part's progress is saved beside the data, so a restart resumes
 * every part where it stopped. The hash follows the contiguous prefix of finished bytes
 * while parts still arrive, so hashing overlaps the transfer instead of following it.
 * With `growth`, the parts are not planned up front: the part with the most bytes left is
 * split in two while another part still pays (part-count.ts), and again whenever a part
 * ends early, so the chosen number keeps running until the parts become too small.
 */
import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { contentEncodings } from '../hub/content-decoding.js';
import { contentRange, dropBody, type HubResponse } from '../hub/hub-client.js';
import { LowSpeedGuard, type LowSpeedLimit } from '../hub/low-speed.js';
import { cancelled, closedEarly, hungUp, tooSlow } from '../hub/transfer-errors.js';
import { PartCounter, type PartGrowth } from './part-count.js';

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
  /** Grow the number of parts while it pays, up to `maxParts`; null runs the planned parts. */
  growth?: (PartGrowth & { maxParts: number }) | null;
}

type Part = PartsState['parts'][number];

const WRITE_BATCH = 4 << 20;
/** A slow part still reaches the disk (and its saved progress) this often. */
const WRITE_EVERY_MS = 250;
const SAVE_EVERY_MS = 500;

/**
 * Fetch every unfinished part; resolves when every byte is on disk (the caller awaits the
 * hash) with the largest number of parts that ran at once.
 */
export async function downloadInParts(pc: PartsContext): Promise<number> {
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
  const unfinished = (p: Part): boolean => p.done < p.end - p.start + 1;

  // The hasher trails the contiguous prefix: tell it whenever that prefix grows.
  let told = 0;
  const poke = (): void => {
    const end = contiguousEnd(state);
    if (end > told) { told = end; pc.hash.advance(end); }
  };
  poke();

  // Bytes received but not yet written, per part: a split must leave them to their part.
  const buffered = new Map<Part, number>();
  const tasks: Array<Promise<void>> = [];
  let running = 0;
  let peak = 0;
  const growth = pc.growth ?? null;
  const counter = growth ? new PartCounter(state.parts.filter(unfinished).length, growth.maxParts, growth.minGain) : null;
  let received = 0;
  /** The window the counter is fed: it opens when the newest part's first bytes arrive. */
  let windowAt: number | null = null;
  let windowBytes = 0;
  let newest: Part | null = null;

  /** Split the part with the most bytes still to come; false when none is large enough. */
  const split = (): boolean => {
    if (growth === null) return false;
    let best: Part | null = null;
    let bestFrom = 0;
    for (const p of state.parts) {
      const from = p.start + p.done + (buffered.get(p) ?? 0);
      if (best === null || p.end - from > best.end - bestFrom) { best = p; bestFrom = from; }
    }
    const left = best === null ? 0 : best.end - bestFrom + 1;
    if (best === null || left < 2 * growth.minPartBytes) return false;
    const mid = bestFrom + Math.ceil(left / 2);
    const added: Part = { start: mid, end: best.end, done: 0 };
    best.end = mid - 1;
    state.parts.splice(state.parts.indexOf(best) + 1, 0, added);
    void maybeSave(true);
    windowAt = null;
    newest = added;
    launch(added);
    return true;
  };
  /** Run as many parts as the counter wants; when nothing can be split, that is the count. */
  const fill = (): void => {
    if (counter === null || inner.signal.aborted) return;
    while (running < counter.target) {
      if (!split()) { counter.settle(running); return; }
    }
  };
  const grow = (part: Part, bytes: number): void => {
    received += bytes;
    if (counter === null) return;
    const t = pc.now();
    if (windowAt === null) {
      // A new connection's set-up is not the link's speed: measure from its first bytes.
      if (newest === null || newest === part) { windowAt = t; windowBytes = received; }
      return;
    }
    if (counter.done || growth === null || t - windowAt < growth.everyMs) return;
    const bps = ((received - windowBytes) * 1000) / (t - windowAt);
    windowAt = t;
    windowBytes = received;
    const before = counter.target;
    if (counter.next(bps) > before) fill();
  };

  const runPart = async (part: Part): Promise<void> => {
    await pc.retrying(inner.signal, async () => {
      const from = part.start + part.done;
      const askedEnd = part.end;
      const res = await pc.fetch(from, askedEnd, inner.signal).catch((err: unknown) => { throw hungUp(err, pc.url, { received: from, size: pc.size, path: pc.ctx.path }); });
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
        // writev, not concat: copying megabytes on the thread shows as event-loop delay.
        const bufs = batch;
        batch = [];
        const n = batchBytes;
        batchBytes = 0;
        await fh.writev(bufs, part.start + part.done);
        part.done += n;
        buffered.set(part, batchBytes);
        pc.onBytes(present());
        poke();
        await maybeSave(false);
      };
      let lastWrite = pc.now();
      const guard = new LowSpeedGuard(pc.lowSpeed, pc.now);
      let got = 0;
      try {
        for await (const c of res.body) {
          let chunk = c as Buffer;
          const room = part.end - part.start + 1 - part.done - batchBytes;
          // Split while this request ran: the rest of its answer belongs to the new part.
          const cut = chunk.length > room && part.end < askedEnd;
          if (chunk.length > room) {
            dropBody(res);
            if (!cut) throw new ModelbayError('EMB-E109', 'The server sent more bytes than the range asked for.', { part: part.start });
            chunk = chunk.subarray(0, room);
          }
          batch.push(chunk);
          batchBytes += chunk.length;
          buffered.set(part, batchBytes);
          got += chunk.length;
          if (cut) break;
          grow(part, chunk.length);
          if (guard.tooSlow(got)) {
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
      if (unfinished(part)) throw closedEarly(new Error('the body ended early'), pc.url, { received: part.start + part.done, size: pc.size, path: pc.ctx.path });
    }, () => part.done);
  };

  function launch(part: Part): void {
    running += 1;
    peak = Math.max(peak, running);
    const task = runPart(part).then(() => {
      running -= 1;
      // A part that ended leaves its place to half of the largest one left.
      fill();
    }, (err: unknown) => {
      running -= 1;
      inner.abort();
      throw err;
    });
    // Handled by the wait below; a part split off meanwhile must not look unhandled until then.
    task.catch(() => undefined);
    tasks.push(task);
  }

  try {
    for (const p of state.parts.filter(unfinished)) launch(p);
    fill();
    // Parts split off while others run join the list: wait until no new one appeared.
    const results: Array<PromiseSettledResult<void>> = [];
    for (let seen = 0; seen < tasks.length;) {
      const batch = tasks.slice(seen);
      seen = tasks.length;
      results.push(...await Promise.allSettled(batch));
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Prefer the cause over the sibling parts' "cancelled".
      const root = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof ModelbayError && r.reason.code === 'EMB-E114'));
      throw (pc.signal?.aborted ? failed.reason : (root ?? failed).reason) as Error;
    }
    return Math.max(1, peak);
  } finally {
    await maybeSave(true);
    await fh.close();
    pc.signal?.removeEventListener('abort', onOuterAbort);
  }
}
