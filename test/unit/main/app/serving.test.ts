import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SlotId } from '../../../../src/shared/slots/slots.js';
import { Serving } from '../../../../src/main/app/serving.js';
import type { Embeddings, OnnxModelSession } from '../../../../src/main/core/runtime/index.js';

function fakeSession(depth: { n: number }, answer: Promise<Embeddings>): OnnxModelSession {
  return {
    get queueDepth() {
      return depth.n;
    },
    embed: (inputs: unknown[]) => {
      depth.n += inputs.length;
      return answer.finally(() => {
        depth.n -= inputs.length;
      });
    },
  } as unknown as OnnxModelSession;
}

describe('Serving (the App\'s path for /v1 and the CLI)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts inputs waiting for a load, then in the host queue; tells the dashboard about uses once per period', async () => {
    vi.useFakeTimers();
    let loaded!: () => void;
    const loading = new Promise<void>((r) => (loaded = r));
    let finish!: (e: Embeddings) => void;
    const answer = new Promise<Embeddings>((r) => (finish = r));
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
    const a = serving.embed('E1', ['x', 'y']);
    const b = serving.embed('E1', ['z']);
    expect(serving.queueDepths()).toEqual({ E1: 3 });
    loaded();
    await vi.advanceTimersByTimeAsync(0);
    expect(serving.queueDepths()).toEqual({ E1: 3 });
    finish({ dims: 1, count: 1, data: new Float32Array(1), lengths: null, hostMs: 0 });
    await Promise.all([a, b]);
    expect(serving.queueDepths()).toEqual({});
    expect(used).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(used).toEqual([['E1']]);
  });

  it('a failed load leaves no count behind', async () => {
    const serving = new Serving({ use: () => Promise.reject(new Error('no memory')), loaded: () => [], used: () => undefined });
    await expect(serving.embed('E2', ['x'])).rejects.toThrow('no memory');
    expect(serving.queueDepths()).toEqual({});
    serving.close();
  });
});
