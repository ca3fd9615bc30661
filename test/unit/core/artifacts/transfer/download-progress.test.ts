import { describe, expect, it } from 'vitest';
import { ProgressReporter, type FileProgressUpdate } from '../../../../../src/main/core/artifacts/transfer/download-progress.js';

describe('ProgressReporter', () => {
  it('emits at most 10 byte updates per second, and every phase change', () => {
    let t = 0;
    const seen: FileProgressUpdate[] = [];
    const p = new ProgressReporter((u) => seen.push(u), () => t);
    p.setTotal(10_000_000);
    p.enter('resolving');
    p.enter('downloading');
    // 1000 chunks over 2 seconds.
    for (let i = 1; i <= 1000; i++) {
      t = i * 2;
      p.bytes(i * 10_000);
    }
    p.enter('verifying');
    p.enter('done');
    const bytes = seen.filter((u) => u.phase === 'downloading');
    expect(bytes.length).toBeLessThanOrEqual(2 * 10 + 1);
    expect(seen.map((u) => u.phase).filter((x, i, a) => a[i - 1] !== x)).toEqual(['resolving', 'downloading', 'verifying', 'done']);
    const last = bytes.at(-1);
    // 10 kB every 2 ms = 5 MB/s; the remaining ~0 bytes take ~0 s.
    expect(last?.speedBps).toBeGreaterThan(4_500_000);
    expect(last?.speedBps).toBeLessThan(5_500_000);
    expect(last?.etaSeconds).toBeLessThan(1);
    expect(seen.at(-1)?.bytes).toBe(10_000_000);
  });

  it('survives a listener that throws', () => {
    const p = new ProgressReporter(() => { throw new Error('ui bug'); }, () => 0);
    expect(() => p.enter('resolving')).not.toThrow();
  });
});
