import { describe, expect, it } from 'vitest';
import { MAX_EMBED_CHARS, MAX_EMBED_TEXTS } from '../../../../src/shared/contract/api.js';
import { resolveModelName, servingKind } from '../../../../src/shared/slots/serving.js';
import { SLOT_IDS, SLOT_NAMES } from '../../../../src/shared/slots/slots.js';
import { checkTruncation, EmbeddingsBodySchema, inputList, parseBody } from '../../../../src/shared/serving/serving-requests.js';
import { openAiEmbeddingsJson, sparseAnswer, toBase64, truncateDims } from '../../../../src/main/host/serve-answers.js';
import { openAiErrorBody } from '../../../../src/main/server/openai/openai-errors.js';
import { ModelbayError } from '../../../../src/shared/errors/errors.js';

const slots = SLOT_IDS.map((id) => ({ id, name: SLOT_NAMES[id], repo: id === 'E8' ? 'sentence-transformers/all-MiniLM-L6-v2' : id === 'E2' || id === 'E3' ? 'shared/repo' : null }));

describe('serving requests', () => {
  it('resolves a model by slot id, name (any case) or a repo only one slot holds', () => {
    expect(resolveModelName('e1', slots)).toBe('E1');
    expect(resolveModelName('semantic', slots)).toBe('E1');
    expect(resolveModelName('LateInteraction', slots)).toBe('E12');
    expect(resolveModelName('sentence-transformers/all-MiniLM-L6-v2', slots)).toBe('E8');
    expect(resolveModelName('shared/repo', slots)).toBeNull();
    expect(resolveModelName('gpt-4', slots)).toBeNull();
  });

  it('serves SPLADE slots sparse and other token-level slots as multi-vector', () => {
    expect(servingKind('E6', 'none')).toBe('sparse');
    expect(servingKind('E13', 'none')).toBe('sparse');
    expect(servingKind('E12', 'none')).toBe('multi-vector');
    expect(servingKind('E1', 'mean')).toBe('dense');
    expect(servingKind('E6', 'mean')).toBe('dense');
  });

  it('takes OpenAI\'s input forms and refuses past the limits with 413', () => {
    expect(inputList('a')).toEqual(['a']);
    expect(inputList(['a', 'b'])).toEqual(['a', 'b']);
    expect(inputList([1, 2, 3])).toEqual([[1, 2, 3]]);
    expect(inputList([[1], [2, 3]])).toEqual([[1], [2, 3]]);
    expect(() => inputList(Array.from({ length: MAX_EMBED_TEXTS + 1 }, () => 'x'))).toThrow(expect.objectContaining({ code: 'EMB-E405' }));
    expect(() => inputList(['x'.repeat(MAX_EMBED_CHARS + 1)])).toThrow(expect.objectContaining({ code: 'EMB-E405' }));
    expect(() => parseBody(EmbeddingsBodySchema, { model: 'E1', input: [] })).toThrow(expect.objectContaining({ code: 'EMB-E401' }));
    expect(() => parseBody(EmbeddingsBodySchema, { model: 'E1', input: 'x', encoding_format: 'int8' })).toThrow(/encoding_format/);
    expect(parseBody(EmbeddingsBodySchema, { model: 'E1', input: 'x', user: 'me' })).toMatchObject({ model: 'E1' });
  });

  it('truncates to `dimensions` and renormalises; refuses more than the model gives', () => {
    const e = { dims: 4, count: 2, data: new Float32Array([0.5, 0.5, 0.5, 0.5, 1, 0, 0, 0]), lengths: null, hostMs: 0 };
    const rows = truncateDims(e, 2);
    expect(Array.from(rows[0] ?? [])).toEqual([Math.fround(Math.SQRT1_2), Math.fround(Math.SQRT1_2)]);
    expect(Array.from(rows[1] ?? [])).toEqual([1, 0]);
    expect(truncateDims(e, 4)[0]).toHaveLength(4);
    expect(() => truncateDims(e, 5)).toThrow(expect.objectContaining({ code: 'EMB-E422' }));
  });

  it('encodes base64 as little-endian float32 and keeps the top-k sparse weights in index order', () => {
    expect(Buffer.from(toBase64(new Float32Array([1, -2])), 'base64')).toEqual(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]));
    const e = { dims: 5, count: 1, data: new Float32Array([0, 0.3, 0, 0.9, 0.5]), lengths: null, hostMs: 0 };
    expect(sparseAnswer(e, undefined)).toEqual([[{ index: 1, value: Math.fround(0.3) }, { index: 3, value: Math.fround(0.9) }, { index: 4, value: Math.fround(0.5) }]]);
    expect(sparseAnswer(e, 2)).toEqual([[{ index: 3, value: Math.fround(0.9) }, { index: 4, value: Math.fround(0.5) }]]);
  });

  it('writes the embeddings answer as JSON.stringify would write its object, for floats and base64', () => {
    const rows = [new Float32Array([0.1, -2.5e-8, 1 / 3]), new Float32Array([0, Number.NaN, 7])];
    const shaped = (format: 'float' | 'base64'): unknown => ({
      object: 'list',
      data: rows.map((row, index) => ({ object: 'embedding', index, embedding: format === 'base64' ? toBase64(row) : Array.from(row) })),
      model: 'my "model"',
      usage: { prompt_tokens: 9, total_tokens: 9 },
    });
    for (const format of ['float', 'base64'] as const) {
      const text = openAiEmbeddingsJson('my "model"', rows, format, 9);
      expect(text).toBe(JSON.stringify(shaped(format)));
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(shaped(format))));
    }
  });

  it('refuses an input the host had to cut unless truncation was allowed, naming the input, its length and the limit', () => {
    const e = { dims: 2, count: 3, data: new Float32Array(6), lengths: null, tokens: [5, 512, 512], truncated: [0, 88, 3], hostMs: 0 };
    expect(() => checkTruncation(e, 'E8', false, 'input')).toThrow(expect.objectContaining({ code: 'EMB-E430', details: { index: 1, tokens: 600, limit: 512, param: 'input' } }));
    expect(() => checkTruncation(e, 'E8', false, 'input')).toThrow(/Input 1 has 600 tokens; E8's model takes at most 512/);
    expect(checkTruncation(e, 'E8', true, 'input')).toBe(2);
    expect(checkTruncation({ ...e, truncated: undefined }, 'E8', false, 'input')).toBe(0);
  });

  it('maps EMB codes to the statuses OpenAI clients act on', () => {
    const status = (code: ConstructorParameters<typeof ModelbayError>[0]): number => openAiErrorBody(new ModelbayError(code, 'x')).status;
    expect([status('EMB-E401'), status('EMB-E402'), status('EMB-E421'), status('EMB-E007'), status('EMB-E405'), status('EMB-E003'), status('EMB-E203')]).toEqual([400, 401, 404, 409, 413, 503, 503]);
    expect(openAiErrorBody(new ModelbayError('EMB-E422', 'too wide', { param: 'dimensions' })).body.error).toMatchObject({ type: 'invalid_request_error', param: 'dimensions', code: 'EMB-E422', message: 'too wide' });
  });
});
