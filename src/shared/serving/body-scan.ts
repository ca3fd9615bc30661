/**
 * What main needs from a serving request before it hands the bytes to a session host:
 * the model it names (to pick the slot) and how many inputs it carries (the slot's queue
 * depth). Read from the bytes without building the body: the scan jumps from one
 * structural character to the next with native searches, so a 16 MB body costs main about
 * as many steps as it has inputs, not as many as it has bytes. It does not validate — the
 * host parses and checks every body — and gives up (null) on anything unusual (escaped
 * keys, a model that is not a string, bytes past the object), where the caller parses the
 * body itself and so answers exactly as the parser does.
 */

export interface ScannedBody {
  /** The top-level `model` (the last one, as JSON.parse keeps). */
  model: string;
  /** Inputs under `inputKey`: 1 for a string or one token-id array, else the list's length. */
  inputs: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const STRUCTURAL = [QUOTE, OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE] as const;

const decoder = new TextDecoder();

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

class Scan {
  /** Next position of each structural character at or after the last search (-1: none left). */
  private readonly next = new Map<number, number>();

  constructor(readonly b: Uint8Array) {}

  find(ch: number, from: number): number {
    const known = this.next.get(ch);
    if (known !== undefined && (known === -1 || known >= from)) return known;
    const at = this.b.indexOf(ch, from);
    this.next.set(ch, at);
    return at;
  }

  space(i: number): number {
    while (isSpace(this.b[i])) i++;
    return i;
  }

  /** `i` at an opening quote: the position after the closing one, or -1. */
  string(i: number): number {
    for (let from = i + 1; ;) {
      const q = this.find(QUOTE, from);
      if (q < 0) return -1;
      let slashes = 0;
      while (this.b[q - 1 - slashes] === BACKSLASH) slashes++;
      if (slashes % 2 === 0) return q + 1;
      from = q + 1;
    }
  }

  /** `i` at `[` or `{`: the position after its match, or -1. */
  container(i: number): number {
    let depth = 0;
    for (let at = i; ;) {
      let c = -1;
      let pos = -1;
      for (const ch of STRUCTURAL) {
        const p = this.find(ch, at);
        if (p >= 0 && (pos < 0 || p < pos)) {
          pos = p;
          c = ch;
        }
      }
      if (pos < 0) return -1;
      if (c === QUOTE) {
        at = this.string(pos);
        if (at < 0) return -1;
        continue;
      }
      depth += c === OPEN_BRACKET || c === OPEN_BRACE ? 1 : -1;
      at = pos + 1;
      if (depth === 0) return at;
    }
  }

  /** Any value at `i`: the position after it, or -1. Scalars end at the next `,` `}` `]` or space. */
  value(i: number): number {
    const c = this.b[i];
    if (c === QUOTE) return this.string(i);
    if (c === OPEN_BRACKET || c === OPEN_BRACE) return this.container(i);
    let j = i;
    for (; j < this.b.length; j++) {
      const d = this.b[j];
      if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    }
    return j > i ? j : -1;
  }

  /** `i` at `[`: how many inputs the list holds (a list of numbers is one token-id input), and where it ends. */
  inputs(i: number): { count: number; end: number } | null {
    const first = this.space(i + 1);
    const c = this.b[first];
    if (c === CLOSE_BRACKET) return { count: 0, end: first + 1 };
    if (c !== QUOTE && c !== OPEN_BRACKET && c !== OPEN_BRACE) {
      const end = this.container(i);
      return end < 0 ? null : { count: 1, end };
    }
    let count = 0;
    for (let at = first; ;) {
      const end = this.value(at);
      if (end < 0) return null;
      count++;
      at = this.space(end);
      if (this.b[at] === CLOSE_BRACKET) return { count, end: at + 1 };
      if (this.b[at] !== COMMA) return null;
      at = this.space(at + 1);
    }
  }
}

/** A JSON string literal with escapes, decoded; null when it is not a valid one. */
function unescape(literal: string): string | null {
  try {
    const v = JSON.parse(literal) as unknown;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

export function scanServeBody(bytes: Uint8Array, inputKey: string): ScannedBody | null {
  const s = new Scan(bytes);
  let i = s.space(0);
  if (bytes[i] !== OPEN_BRACE) return null;
  let model: string | null = null;
  let inputs = 0;
  i = s.space(i + 1);
  if (bytes[i] === CLOSE_BRACE) return null;
  for (;;) {
    if (bytes[i] !== QUOTE) return null;
    const keyEnd = s.string(i);
    if (keyEnd < 0) return null;
    const key = bytes.subarray(i + 1, keyEnd - 1);
    // An escaped key could spell "model" (JSON.parse decodes it): leave such bodies to the parser.
    if (key.includes(BACKSLASH)) return null;
    const name = decoder.decode(key);
    i = s.space(keyEnd);
    if (bytes[i] !== COLON) return null;
    i = s.space(i + 1);
    let end: number;
    if (name === 'model') {
      if (bytes[i] !== QUOTE) return null;
      end = s.string(i);
      if (end < 0) return null;
      const raw = bytes.subarray(i, end);
      model = raw.includes(BACKSLASH) ? unescape(decoder.decode(raw)) : decoder.decode(raw.subarray(1, raw.length - 1));
      if (model === null) return null;
    } else if (name === inputKey && bytes[i] === OPEN_BRACKET) {
      const list = s.inputs(i);
      if (!list) return null;
      inputs = list.count;
      end = list.end;
    } else {
      end = s.value(i);
      if (name === inputKey) inputs = 1;
    }
    if (end < 0) return null;
    i = s.space(end);
    if (bytes[i] === CLOSE_BRACE) break;
    if (bytes[i] !== COMMA) return null;
    i = s.space(i + 1);
  }
  if (s.space(i + 1) !== bytes.length || model === null) return null;
  return { model, inputs };
}
