import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SlotId } from '../../../../src/shared/slots/slots.js';
import { Serving } from '../../../../src/main/app/serving.js';
import type { OnnxModelSession, ServeCall, ServeResult } from '../../../../src/main/core/runtime/index.js';

function fakeSession(depth: { n: number }, answer: Promise<ServeResult>): OnnxModelSession {
  return {
    get queueDepth() {
      return depth.n;
    },
    serve: (call: ServeCall) => {
      depth.n += call.inputs;
      return answer.finally(() => {
        depth.n -= call.inputs;
      });
    },
  } as unknown as OnnxModelSession;
}

const call = (inputs: number): ServeCall => ({ route: '/v1/embeddings', model: 'E1', body: Buffer.from('{}'), inputs });

describe('Serving (the App\'s path for /v1 and the CLI)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts inputs waiting for a load, then in the host queue; tells the dashboard about uses once per period', async () => {
    vi.useFakeTimers();
    let loaded!: () => void;
    const loading = new Promise<void>((r) => (loaded = r));
    let finish!: (r: ServeResult) => void;
    const answer = new Promise<ServeResult>((r) => (finish = r));
    const depth = { n: 0 };
    const session = fakeSession(depth, answer);
    const used: SlotId[][] = [];
    const serving = new Serving({
      use: async (_slot, fn) => {
        await loading;
        return fn(session);
      },
      loaded: () => (depth.n > 0 ? [{ slot: 'E1', session }] : []),
      used: (slots) => used.push(slots),
      coalesceMs: 200,
    });
    const a = serving.serve('E1', call(2));
    const b = serving.serve('E1', call(1));
    expect(serving.queueDepths()).toEqual({ E1: 3 });
    loaded();
    await vi.advanceTimersByTimeAsync(0);
    expect(serving.queueDepths()).toEqual({ E1: 3 });
    finish({ body: Buffer.from('{}'), inputs: 1, tokens: 1, hostMs: 0 });
    await Promise.all([a, b]);
    expect(serving.queueDepths()).toEqual({});
    expect(used).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(used).toEqual([['E1']]);
  });

  it('a failed load leaves no count behind', async () => {
    const serving = new Serving({ use: () => Promise.reject(new Error('no memory')), loaded: () => [], used: () => undefined });
    await expect(serving.serve('E2', call(1))).rejects.toThrow('no memory');
    expect(serving.queueDepths()).toEqual({});
    serving.close();
  });
});
