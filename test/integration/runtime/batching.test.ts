/**
 * Dynamic batching inside the session host, run in this process over an in-memory
 * transport with a real onnxruntime session: requests that arrive together share one
 * run and are split back in order; a bad request fails alone; vectors stay binary.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbedResultSchema, type EmbedResult, type HostMessage } from '../../../src/main/core/runtime/protocol.js';
import { HostServer } from '../../../src/main/host/host-server.js';
import { ownBuffers } from '../../../src/main/core/runtime/message-batch.js';
import { writeEmbeddingModel, type EmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';

class Pipe {
  private handler: ((m: unknown) => void) | null = null;
  private readonly waiting = new Map<number, (m: HostMessage) => void>();
  readonly transport = {
    post: (m: HostMessage): void => {
      if (m.kind === 'reply') this.waiting.get(m.id)?.(m);
    },
    onMessage: (h: (m: unknown) => void): void => {
      this.handler = h;
    },
    exit: (): void => undefined,
  };

  send(message: { id: number } & Record<string, unknown>): Promise<HostMessage> {
    return new Promise((resolve) => {
      this.waiting.set(message.id, resolve);
      this.handler?.(message);
    });
  }
}

function value(m: HostMessage): EmbedResult {
  if (m.kind !== 'reply' || !m.ok) throw new Error(JSON.stringify(m));
  return EmbedResultSchema.parse(m.value);
}

describe('session host dynamic batching', () => {
  let dir: string;
  let model: EmbeddingModel;
  let pipe: Pipe;
  let id = 100;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelbay-batch-'));
    model = await writeEmbeddingModel({ dir, vocab: 200, dim: 8 });
    pipe = new Pipe();
    new HostServer(pipe.transport).start();
    const loaded = await pipe.send({
      kind: 'load', id: 1, session: 's', model: model.modelPath, externalData: [], tokenizer: model.tokenizerPath,
      pooling: 'mean', dims: 8, provider: 'cpu', deviceId: 0, options: { intraOpNumThreads: 1, batchSize: 64, batchWaitMs: 5 },
    });
    expect(loaded).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('merges requests sent together into one run and splits the vectors back in order', async () => {
    const texts = Array.from({ length: 12 }, (_, i) => `text ${'word '.repeat(i % 5)}${i}`);
    const replies = await Promise.all(texts.map((t) => pipe.send({ kind: 'embed', id: ++id, session: 's', texts: [t] })));
    const results = replies.map(value);
    results.forEach((r, i) => {
      expect(r.data).toBeInstanceOf(Float32Array);
      expect(r.count).toBe(1);
      expect(r.batch).toEqual({ inputs: 12, requests: 12 });
      const want = model.reference(texts[i] as string);
      Array.from(r.data).forEach((x, j) => expect(x).toBeCloseTo(want[j] ?? NaN, 5));
      expect(r.tokens).toEqual([model.ids(texts[i] as string).length]);
      // A view of the merged vectors, no copy; a transport that would clone its whole buffer (Electron's) copies it first.
      expect(r.data.byteLength).toBe(8 * 4);
      expect(ownBuffers({ kind: 'reply', id: 1, ok: true, value: r }).value.data.buffer.byteLength).toBe(8 * 4);
    });
  });

  it('keeps a request of several texts together and respects the token budget', async () => {
    const tight = new Pipe();
    new HostServer(tight.transport).start();
    await tight.send({
      kind: 'load', id: 1, session: 't', model: model.modelPath, externalData: [], tokenizer: model.tokenizerPath,
      pooling: 'mean', dims: 8, provider: 'cpu', deviceId: 0, options: { intraOpNumThreads: 1, maxBatchTokens: 8, batchWaitMs: 5 },
    });
    // "a b c" is 5 tokens with [CLS] and [SEP]: two fit no budget of 8 together.
    const replies = (await Promise.all([1, 2, 3].map((n) => tight.send({ kind: 'embed', id: n + 10, session: 't', texts: ['a b c'] })))).map(value);
    expect(replies.map((r) => r.batch?.requests)).toEqual([1, 1, 1]);
    const pair = value(await tight.send({ kind: 'embed', id: 20, session: 't', texts: ['a b c', 'd e f'] }));
    expect(pair).toMatchObject({ count: 2, batch: { inputs: 2, requests: 1 } });
  });

  it('a bad request fails alone; its neighbours get their vectors', async () => {
    const sent = [
      pipe.send({ kind: 'embed', id: ++id, session: 's', texts: ['good one'] }),
      pipe.send({ kind: 'embed', id: ++id, session: 's', texts: [[5, 99_999]] }),
      pipe.send({ kind: 'embed', id: ++id, session: 's', texts: ['good two', [3, 4, 5]] }),
    ];
    const [a, bad, b] = await Promise.all(sent);
    expect(value(a as HostMessage).count).toBe(1);
    expect(bad).toMatchObject({ ok: false, error: { code: 'EMB-E208' } });
    expect(value(b as HostMessage)).toMatchObject({ count: 2, tokens: [model.ids('good two').length, 3] });
  });

  it('an unload fails the requests still waiting with EMB-E005', async () => {
    const waiting = pipe.send({ kind: 'embed', id: ++id, session: 's', texts: ['late'] });
    const unloaded = pipe.send({ kind: 'unload', id: ++id, session: 's' });
    expect(await unloaded).toMatchObject({ ok: true });
    expect(await waiting).toMatchObject({ ok: false, error: { code: 'EMB-E005' } });
  });
});
