import { describe, expect, it } from 'vitest';
import { ModelbayError } from '../../../../src/shared/errors/errors.js';
import { Semaphore } from '../../../../src/main/core/async/queues.js';

const cancelled = (): Error => new ModelbayError('EMB-E114', 'Download cancelled.', {});

describe('Semaphore (the download gate among others)', () => {
  it('runs at most `limit` at once, in order, and follows a raised limit live', async () => {
    const gate = new Semaphore(1);
    const started: number[] = [];
    const release: Array<() => void> = [];
    const job = (i: number) => gate.run(() => new Promise<void>((r) => { started.push(i); release.push(r); }));
    const all = [job(1), job(2), job(3)];
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([1]);
    gate.setLimit(2);
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([1, 2]);
    release.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([1, 2, 3]);
    for (const r of release.splice(0)) r();
    await Promise.all(all);
  });

  it('a waiter that is aborted leaves the queue with EMB-E114', async () => {
    const gate = new Semaphore(1);
    let free: () => void = () => undefined;
    const first = gate.run(() => new Promise<void>((r) => { free = r; }));
    const ac = new AbortController();
    const second = gate.run(() => Promise.resolve('ran'), ac.signal, cancelled);
    expect(gate.full).toBe(true);
    ac.abort();
    await expect(second).rejects.toMatchObject({ code: 'EMB-E114' });
    free();
    await first;
    expect(await gate.run(() => Promise.resolve('next'))).toBe('next');
  });
});
