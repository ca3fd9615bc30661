/**
 * How the test Hub answers: error answers with X-Error-Code / X-Error-Message, JSON, and
 * a file's bytes (whole, a Range, or under a Content-Encoding) with the body faults of
 * faults.ts applied (drop, stall, flip, throttle). Plain functions of one request.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { FaultAction } from './faults.js';
import type { ServedFile } from './repos.js';

export type Origin = 'hub' | 'cdn';

/** One request as the Hub saw it: tests assert on what reached the Hub and the CDN. */
export interface RequestLogEntry {
  method: string;
  origin: 'hub' | 'cdn';
  /** Raw request URL (path and query). */
  path: string;
  range: string | null;
  auth: string | null;
  status: number;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  origin: Origin;
  faults: FaultAction[];
  entry: RequestLogEntry;
}

function sleepUntilClosed(res: ServerResponse, ms: number | undefined): Promise<void> {
  return new Promise((done) => {
    if (res.destroyed || res.writableEnded) { done(); return; }
    const onClose = (): void => { if (timer) clearTimeout(timer); done(); };
    const timer = ms === undefined ? null : setTimeout(() => { res.off('close', onClose); done(); }, ms);
    res.once('close', onClose);
  });
}

/** Write with backpressure; false when the client went away. */
function writeChunk(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((done) => {
    const onDrain = (): void => { res.off('close', onClose); done(true); };
    const onClose = (): void => { res.off('drain', onDrain); done(false); };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

export function errorAnswer(ctx: Ctx, status: number, code: string | null, message: string, extra: Record<string, string> = {}): void {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Error-Message': message, ...extra };
  if (code) headers['X-Error-Code'] = code;
  const body = JSON.stringify({ error: message });
  headers['Content-Length'] = String(Buffer.byteLength(body));
  ctx.entry.status = status;
  ctx.res.writeHead(status, headers);
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

export function applyHeaderFaults(ctx: Ctx, headers: Record<string, string>): Record<string, string> {
  for (const f of ctx.faults) {
    if (f.kind === 'lie-size') {
      if ('X-Linked-Size' in headers) headers['X-Linked-Size'] = String(f.size);
      else if (ctx.req.method === 'HEAD') headers['Content-Length'] = String(f.size);
    }
    if (f.kind === 'headers') Object.assign(headers, f.set);
  }
  return headers;
}

/** The whole file under a Content-Encoding, as a misconfigured proxy or CDN sends it. */
export async function sendEncoded(ctx: Ctx, file: ServedFile, encoding: string, headers: Record<string, string>): Promise<void> {
  const plain = file.buffer ?? await readFile(file.diskPath ?? '');
  const body = encoding === 'gzip' ? gzipSync(plain) : encoding === 'deflate' ? deflateSync(plain) : encoding === 'br' ? brotliCompressSync(plain) : plain;
  ctx.entry.status = 200;
  ctx.res.writeHead(200, { ...headers, 'Content-Encoding': encoding, 'Content-Length': String(body.length) });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

/** The bytes of a file (or a Range of it), with body faults applied. */
export async function sendBody(ctx: Ctx, file: ServedFile, headers: Record<string, string>): Promise<void> {
  const { req, res } = ctx;
  const encode = ctx.faults.find((f): f is Extract<FaultAction, { kind: 'encode' }> => f.kind === 'encode');
  if (encode && req.method !== 'HEAD') { await sendEncoded(ctx, file, encode.encoding, headers); return; }
  const ignoreRange = ctx.faults.some((f) => f.kind === 'ignore-range');
  const rangeHeader = ignoreRange ? undefined : req.headers.range;
  let start = 0;
  let end = file.size - 1;
  let status = 200;
  if (rangeHeader !== undefined) {
    const m = /^bytes=(\d+)-(\d*)$/.exec(rangeHeader);
    if (m) {
      const s = Number(m[1]);
      const e = m[2] ? Math.min(Number(m[2]), file.size - 1) : file.size - 1;
      if (s >= file.size || s > e) {
        errorAnswer(ctx, 416, null, 'Requested Range Not Satisfiable', { 'Content-Range': `bytes */${file.size}` });
        return;
      }
      start = s;
      end = e;
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
    }
  }
  headers['Accept-Ranges'] = 'bytes';
  headers['Content-Length'] = String(end - start + 1);
  if (req.method === 'HEAD') applyHeaderFaults(ctx, headers);
  ctx.entry.status = status;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || end < start) { res.end(); return; }

  const bodyFaults = ctx.faults.filter((f) => f.kind === 'drop' || f.kind === 'stall' || f.kind === 'flip' || f.kind === 'throttle');
  if (bodyFaults.length === 0) {
    if (file.buffer) { res.end(file.buffer.subarray(start, end + 1)); return; }
    const stream = createReadStream(file.diskPath ?? '', { start, end, highWaterMark: 1 << 20 });
    stream.on('error', () => res.destroy());
    stream.pipe(res);
    return;
  }

  const throttle = bodyFaults.find((f): f is Extract<FaultAction, { kind: 'throttle' }> => f.kind === 'throttle');
  const chunkSize = throttle ? Math.max(1024, Math.min(64 * 1024, Math.floor(throttle.bytesPerSec / 20))) : 64 * 1024;
  const t0 = Date.now();
  let sent = 0;
  const source: AsyncIterable<Buffer> | Iterable<Buffer> = file.buffer
    ? (function* (buf: Buffer) { for (let o = start; o <= end; o += chunkSize) yield buf.subarray(o, Math.min(end + 1, o + chunkSize)); })(file.buffer)
    : createReadStream(file.diskPath ?? '', { start, end, highWaterMark: chunkSize });
  for await (const raw of source) {
    let chunk = raw;
    for (const f of bodyFaults) {
      if (f.kind === 'flip' && f.offset >= start + sent && f.offset < start + sent + chunk.length) {
        chunk = Buffer.from(chunk);
        const i = f.offset - start - sent;
        chunk[i] = (chunk[i] ?? 0) ^ 0xff;
      }
    }
    const cut = bodyFaults.find((f): f is Extract<FaultAction, { kind: 'drop' | 'stall' }> => (f.kind === 'drop' || f.kind === 'stall') && sent + chunk.length > f.afterBytes && sent <= f.afterBytes);
    if (cut) {
      const head = chunk.subarray(0, cut.afterBytes - sent);
      if (head.length > 0 && !(await writeChunk(res, head))) return;
      sent += head.length;
      chunk = chunk.subarray(head.length);
      if (cut.kind === 'drop') {
        // Let the head reach the client before cutting, so the cut is at exactly afterBytes.
        await new Promise<void>((done) => { if (res.destroyed) { done(); return; } res.write(Buffer.alloc(0), () => done()); });
        res.socket?.destroy();
        res.destroy();
        return;
      }
      await sleepUntilClosed(res, cut.ms);
      if (res.destroyed) return;
      // A spent stall must not trigger again on the same response.
      bodyFaults.splice(bodyFaults.indexOf(cut), 1);
    }
    if (chunk.length > 0 && !(await writeChunk(res, chunk))) return;
    sent += chunk.length;
    if (throttle) {
      const due = t0 + (sent / throttle.bytesPerSec) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleepUntilClosed(res, wait);
      if (res.destroyed) return;
    }
  }
  res.end();
}

export function json(ctx: Ctx, value: unknown): void {
  const body = JSON.stringify(value);
  ctx.entry.status = 200;
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
  ctx.res.end(body);
}
