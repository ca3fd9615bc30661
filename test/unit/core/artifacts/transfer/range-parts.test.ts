import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contiguousEnd, loadParts, planParts } from '../../../../../src/main/core/artifacts/transfer/range-parts.js';

describe('range parts', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'modelbay-parts-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('tiles the file exactly, and uses fewer parts for small files', () => {
    const s = planParts('e', 10_000_001, 4);
    expect(s.parts.map((p) => [p.start, p.end])).toEqual([[0, 2500000], [2500001, 5000001], [5000002, 7500002], [7500003, 10000000]]);
    expect(planParts('e', 1000, 8).parts).toHaveLength(1);
  });

  it('finds the end of the contiguous finished prefix', () => {
    const s = planParts('e', 4 << 20, 4);
    expect(contiguousEnd(s)).toBe(0);
    s.parts[1]!.done = 100;
    expect(contiguousEnd(s)).toBe(0);
    s.parts[0]!.done = 1 << 20;
    expect(contiguousEnd(s)).toBe((1 << 20) + 100);
    for (const p of s.parts) p.done = p.end - p.start + 1;
    expect(contiguousEnd(s)).toBe(4 << 20);
  });

  it('loads saved progress only when it matches the file and tiles it', async () => {
    const path = join(dir, 'p.json');
    const good = planParts('abc', 3 << 20, 3);
    good.parts[0]!.done = 5;
    await writeFile(path, JSON.stringify(good));
    expect(await loadParts(path, 'abc', 3 << 20)).toEqual(good);
    expect(await loadParts(path, 'other', 3 << 20)).toBeNull();
    expect(await loadParts(path, 'abc', 3 << 20 + 1)).toBeNull();
    const gap = JSON.parse(JSON.stringify(good)) as typeof good;
    gap.parts[1]!.start += 1;
    await writeFile(path, JSON.stringify(gap));
    expect(await loadParts(path, 'abc', 3 << 20)).toBeNull();
    const over = JSON.parse(JSON.stringify(good)) as typeof good;
    over.parts[2]!.done = 1e9;
    await writeFile(path, JSON.stringify(over));
    expect(await loadParts(path, 'abc', 3 << 20)).toBeNull();
    await writeFile(path, '{not json');
    expect(await loadParts(path, 'abc', 3 << 20)).toBeNull();
  });
});
