import { describe, expect, it } from 'vitest';
import { PART_GROWTH, PartCounter } from '../../../../../src/main/core/artifacts/transfer/part-count.js';

/** Feeds a counter one throughput per window, as the download does every ~500 ms; returns the counts it ran. */
function run(throughputAt: (parts: number) => number, max: number, windows = 20): number[] {
  const c = new PartCounter(1, max, PART_GROWTH.minGain);
  const counts = [c.target];
  for (let i = 0; i < windows && !c.done; i++) counts.push(c.next(throughputAt(c.target)));
  return counts;
}

describe('how many Range parts a download grows to', () => {
  it('starts with one part and tries a second before anything is known', () => {
    const c = new PartCounter(1, 4, 0.1);
    expect(c.target).toBe(1);
    expect(c.next(10e6)).toBe(2);
    expect(c.done).toBe(false);
  });

  it('a link that caps each connection grows to the configured maximum, never past it', () => {
    // 40 MB/s per connection, nothing else limits: each part adds 40 MB/s; the count doubles.
    expect(run((n) => n * 40e6, 4)).toEqual([1, 2, 4]);
    expect(run((n) => n * 40e6, 8)).toEqual([1, 2, 4, 8]);
    expect(run((n) => n * 40e6, 6)).toEqual([1, 2, 4, 6]);
  });

  it('a link one connection already fills stays at the count where the gain stopped', () => {
    // Local disk-speed transfer: a second part brings 3 %, so the second is kept and no third is tried.
    expect(run((n) => (n === 1 ? 1000e6 : 1030e6), 4)).toEqual([1, 2, 2]);
  });

  it('stops at the first step that adds less than 10 %, even if a later one would have helped', () => {
    // 1 → 2 doubles, 2 → 4 adds 5 %: four is kept, eight is never tried.
    const bps: Record<number, number> = { 1: 10e6, 2: 20e6, 4: 21e6, 8: 80e6 };
    expect(run((n) => bps[n] ?? 0, 8)).toEqual([1, 2, 4, 4]);
  });

  it('exactly 10 % more is enough to go on; just under is not', () => {
    expect(run((n) => (n === 1 ? 100 : n === 2 ? 110 : 111), 8)).toEqual([1, 2, 4, 4]);
    expect(run((n) => (n === 1 ? 100 : 109.9), 4)).toEqual([1, 2, 2]);
  });

  it('a throughput that falls with more parts (a server that throttles per client) stops growth', () => {
    expect(run((n) => 100e6 / n, 8)).toEqual([1, 2, 2]);
  });

  it('a maximum of one never grows; a resumed download starts from the parts it left, within the maximum', () => {
    const one = new PartCounter(1, 1, 0.1);
    expect(one.done).toBe(true);
    expect(one.next(1e6)).toBe(1);
    const resumed = new PartCounter(3, 4, 0.1);
    expect(resumed.target).toBe(3);
    expect(resumed.next(30e6)).toBe(4);
    expect(resumed.done).toBe(true);
    expect(new PartCounter(9, 4, 0.1).target).toBe(4);
  });

  it('settles on the parts that run when none can be split any more', () => {
    const c = new PartCounter(1, 8, 0.1);
    c.next(10e6);
    c.next(20e6);
    expect(c.target).toBe(4);
    c.settle(2);
    expect(c.target).toBe(2);
    expect(c.done).toBe(true);
    expect(c.next(1e9)).toBe(2);
  });

  it('parts are never split below 16 MiB, and the decision comes every ~500 ms', () => {
    expect(PART_GROWTH.minPartBytes).toBe(16 * 1024 * 1024);
    expect(PART_GROWTH.everyMs).toBe(500);
    expect(PART_GROWTH.minGain).toBe(0.1);
  });
});
