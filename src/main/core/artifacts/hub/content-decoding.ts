/**
 * Content-Encoding of a download answer. Modelbay asks for identity, but proxies and
 * misconfigured CDNs compress anyway; undici's `request` (unlike `fetch`) hands over the
 * encoded bytes as they are. A whole-file answer in a known encoding is decoded (sizes
 * and hashes are then checked on the decoded bytes); anything else is refused with its
 * own error instead of looking like a short or oversized file.
 */
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, type Gunzip } from 'node:zlib';
import type { HubResponse } from './hub-client.js';

const DECODERS: Record<string, () => Gunzip | ReturnType<typeof createBrotliDecompress> | ReturnType<typeof createInflate>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** The encodings applied, outermost last, without identity; empty for plain bytes. */
export function contentEncodings(res: HubResponse): string[] {
  const raw = res.headers['content-encoding'];
  const v = Array.isArray(raw) ? raw.join(',') : raw ?? '';
  return v.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && s !== 'identity');
}

/** The first encoding that cannot be decoded, or null. */
export function undecodable(encodings: string[]): string | null {
  return encodings.find((e) => !(e in DECODERS)) ?? null;
}

/** The decoded body (encodings undone in reverse order); errors of the raw body reach the reader. */
export function decodedBody(res: HubResponse, encodings: string[]): Readable {
  if (encodings.length === 0) return res.body;
  const stages = [...encodings].reverse().map((e) => (DECODERS[e] as () => Readable)());
  const streams = [res.body, ...stages] as [Readable, ...Readable[]];
  // pipeline destroys every stage when one fails; the reader sees the error on the last.
  return (pipeline as unknown as (...s: [...Readable[], (err: Error | null) => void]) => Readable)(...streams, () => undefined);
}
