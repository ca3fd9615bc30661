import { describe, expect, it } from 'vitest';
import { scanServeBody } from '../../../../src/shared/serving/body-scan.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const scan = (text: string, key = 'input'): ReturnType<typeof scanServeBody> => scanServeBody(bytes(text), key);

/** What JSON.parse makes of a body: the scan must agree wherever it answers. */
function parsed(text: string, key: string): { model: unknown; inputs: number } {
  const body = JSON.parse(text) as Record<string, unknown>;
  const input = body[key];
  const inputs = input === undefined ? 0 : !Array.isArray(input) ? 1 : input.length > 0 && typeof input[0] === 'number' ? 1 : input.length;
  return { model: body.model, inputs };
}

/** A small deterministic generator of awkward JSON values (quotes, backslashes, brackets inside strings, unicode). */
function generator(seed: number): () => unknown {
  let s = seed;
  const rand = (n: number): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
  const pieces = ['a', '"', '\\', '[', ']', '{', '}', ',', ':', ' ', 'é', '💡', '\n', '\\"', 'model', 'input'];
  const str = (): string => Array.from({ length: rand(8) }, () => pieces[rand(pieces.length)]).join('');
  const value = (depth: number): unknown => {
    const k = rand(depth > 2 ? 4 : 7);
    if (k === 0) return str();
    if (k === 1) return rand(1000) - 500;
    if (k === 2) return rand(2) === 0;
    if (k === 3) return null;
    if (k === 4) return Array.from({ length: rand(4) }, () => value(depth + 1));
    if (k === 5) return Array.from({ length: 1 + rand(4) }, () => rand(30_000));
    return Object.fromEntries(Array.from({ length: rand(4) }, () => [str(), value(depth + 1)]));
  };
  return () => {
    const body: Record<string, unknown> = {};
    for (let i = rand(4); i > 0; i--) body[str()] = value(1);
    body.model = str() || 'E8';
    body.input = rand(3) === 0 ? str() : rand(2) === 0 ? Array.from({ length: 1 + rand(6) }, () => rand(500)) : Array.from({ length: rand(6) }, () => (rand(3) === 0 ? [1, 2] : str()));
    for (let i = rand(3); i > 0; i--) body[str()] = value(1);
    return body;
  };
}

describe('scanServeBody', () => {
  it('finds the model and counts the inputs of the bodies clients send', () => {
    expect(scan('{"model":"E8","input":["a","b","c"],"encoding_format":"base64"}')).toEqual({ model: 'E8', inputs: 3 });
    expect(scan(' {\n  "input": "one text",\n  "model" : "minilm"\n} ')).toEqual({ model: 'minilm', inputs: 1 });
    expect(scan('{"model":"E1","input":[101,2023,102]}')).toEqual({ model: 'E1', inputs: 1 });
    expect(scan('{"model":"E1","input":[[101,102],[101,7,102]]}')).toEqual({ model: 'E1', inputs: 2 });
    expect(scan('{"model":"E6","inputs":["a","b"],"top_k":3}', 'inputs')).toEqual({ model: 'E6', inputs: 2 });
    expect(scan('{"model":"E8","input":["a ] \\" [ } {","b\\\\"]}')).toEqual({ model: 'E8', inputs: 2 });
    expect(scan('{"model":"E\\u0038","input":"x"}')).toEqual({ model: 'E8', inputs: 1 });
    // JSON.parse keeps the last of repeated keys; so does the scan.
    expect(scan('{"model":"E1","input":"x","model":"E2"}')).toEqual({ model: 'E2', inputs: 1 });
    // A field of another name that holds "model" inside is skipped whole.
    expect(scan('{"user":{"model":"E3","input":[1]},"model":"E4","input":["a"]}')).toEqual({ model: 'E4', inputs: 1 });
  });

  it('gives up where only a parser can answer exactly: the caller then parses the body', () => {
    for (const text of [
      '', '[]', '{}', '{"model":"E1"', '{"model":"E1",}', '{"model":"E1"} x', '{"model":7,"input":"x"}',
      '{"mod\\u0065l":"E1","input":"x"}', '{"input":"x"}', '{"model":"E1","input":["a"', '{"model":"bad \\x escape"}', '{"model" "E1"}',
    ]) {
      expect(scan(text), text).toBeNull();
    }
  });

  it('agrees with JSON.parse on generated bodies whenever it answers', () => {
    const next = generator(7);
    let answered = 0;
    for (let i = 0; i < 2000; i++) {
      const text = JSON.stringify(next(), null, i % 3 === 0 ? 1 : undefined);
      const got = scan(text);
      if (got === null) continue;
      answered++;
      expect(got, text).toEqual(parsed(text, 'input'));
    }
    // Bodies without escaped keys are answered: nearly all of them.
    expect(answered).toBeGreaterThan(1000);
  });
});
