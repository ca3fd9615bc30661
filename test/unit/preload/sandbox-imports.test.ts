/**
 * A sandboxed preload can require only `electron` (and a few Node shims): every value it
 * imports is bundled into one CommonJS file. This walks the preload's value imports and
 * fails if a package other than electron (zod, for one) would be left to require().
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?!type\s)(?:[\s\S]*?\s+from\s+)?'([^']+)'/g;

function valueImports(file: string, seen = new Set<string>(), bare = new Set<string>()): Set<string> {
  if (seen.has(file)) return bare;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] as string;
    if (spec.startsWith('.')) valueImports(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), seen, bare);
    else bare.add(spec);
  }
  return bare;
}

describe('preload bundle', () => {
  it('requires nothing but electron at run time', () => {
    const entry = join(import.meta.dirname, '../../../src/preload/index.ts');
    expect([...valueImports(entry)]).toEqual(['electron']);
  });
});
