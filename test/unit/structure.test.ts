/**
 * The structure rules of the repository, checked by reading the tree (issue #19):
 * - no folder under src/ holds more than 15 source files side by side;
 * - the first-level folders of src/main/core import each other without a cycle;
 * - no module in src/ or scripts/ is over 400 lines;
 * - the 40-hex commit pattern and the 64-hex sha256 pattern are each written once in src/
 *   (a regex character class of hex digits followed by {40} or {64});
 * - nothing outside test/ imports from test/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE = new Set(['.ts', '.tsx', '.js', '.mjs', '.cjs']);
const MAX_FILES = 15;
const MAX_LINES = 400;

/** Every file under `dir` (repository-relative, '/'-separated), skipping build output and dependencies. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'out' || e.name.startsWith('.')) continue;
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...walk(path));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

const isSource = (path: string): boolean => SOURCE.has(extname(path)) && !path.endsWith('.d.ts');
const lines = (path: string): number => readFileSync(join(ROOT, path), 'utf8').split('\n').length - (readFileSync(join(ROOT, path), 'utf8').endsWith('\n') ? 1 : 0);

/** The module specifiers a file imports or re-exports (static and dynamic). */
function importsOf(path: string): string[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) if (m[1]) out.push(m[1]);
  return out;
}

/** A relative specifier resolved to a repository-relative path (without checking it exists). */
function resolveRelative(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return relative(ROOT, resolve(ROOT, dirname(from), spec)).split(sep).join('/');
}

describe('repository structure', () => {
  const src = walk('src').filter(isSource);

  it(`has no folder under src/ with more than ${MAX_FILES} source files side by side`, () => {
    const perFolder = new Map<string, number>();
    for (const f of src) perFolder.set(dirname(f), (perFolder.get(dirname(f)) ?? 0) + 1);
    const crowded = [...perFolder].filter(([, n]) => n > MAX_FILES).map(([dir, n]) => `${dir} (${n})`).sort();
    expect(crowded).toEqual([]);
  });

  it('has no import cycle between the folders of src/main/core', () => {
    const CORE = 'src/main/core/';
    const folderOf = (path: string): string | null => {
      if (!path.startsWith(CORE)) return null;
      const rest = path.slice(CORE.length);
      return rest.includes('/') ? (rest.split('/')[0] ?? null) : null;
    };
    const edges = new Map<string, Map<string, string>>();
    for (const f of src) {
      const from = folderOf(f);
      if (!from) continue;
      for (const spec of importsOf(f)) {
        const target = resolveRelative(f, spec);
        const to = target ? folderOf(target) : null;
        if (!to || to === from) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        edges.get(from)?.set(to, `${f} → ${spec}`);
      }
    }
    // Depth-first search for a back edge; each cycle is reported with one import per step.
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (node: string): void => {
      state.set(node, 'open');
      stack.push(node);
      for (const [next] of edges.get(node) ?? []) {
        if (state.get(next) === 'open') {
          const loop = [...stack.slice(stack.indexOf(next)), next];
          cycles.push(loop.slice(0, -1).map((n, i) => `${n} → ${loop[i + 1] ?? ''} (${edges.get(n)?.get(loop[i + 1] ?? '') ?? ''})`).join('; '));
        } else if (!state.has(next)) {
          visit(next);
        }
      }
      stack.pop();
      state.set(node, 'done');
    };
    for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
    expect(cycles).toEqual([]);
  });

  it(`has no module in src/ or scripts/ over ${MAX_LINES} lines`, () => {
    const long = [...src, ...walk('scripts').filter(isSource)]
      .map((f) => ({ f, n: lines(f) }))
      .filter(({ n }) => n > MAX_LINES)
      .map(({ f, n }) => `${f} (${n})`)
      .sort();
    expect(long).toEqual([]);
  });

  it('writes the commit (40-hex) and sha256 (64-hex) patterns once each in src/', () => {
    // A character class of hex digit ranges (0-9, a-f, A-F in any order), then the count.
    const hexClass = String.raw`\[(?:0-9|a-f|A-F){2,3}\]`;
    const count = (n: number): string[] => {
      const re = new RegExp(`${hexClass}\\{${n}\\}`, 'g');
      const hits: string[] = [];
      for (const f of src) {
        const text = readFileSync(join(ROOT, f), 'utf8');
        text.split('\n').forEach((line, i) => {
          for (const _ of line.matchAll(re)) hits.push(`${f}:${i + 1}`);
        });
      }
      return hits;
    };
    const commit = count(40);
    const sha256 = count(64);
    expect({ commit: commit.length, sha256: sha256.length }, `commit pattern at ${commit.join(', ')}; sha256 pattern at ${sha256.join(', ')}`).toEqual({ commit: 1, sha256: 1 });
  });

  it('imports nothing from test/ outside test/', () => {
    const outside = [...src, ...walk('scripts').filter(isSource), ...walk('bench').filter(isSource)];
    const offenders: string[] = [];
    for (const f of outside) {
      for (const spec of importsOf(f)) {
        const target = resolveRelative(f, spec);
        if (target && (target === 'test' || target.startsWith('test/'))) offenders.push(`${f} → ${spec}`);
      }
      // Paths built at run time (join(ROOT, 'test/…')) reach into test/ as surely as an import.
      const text = readFileSync(join(ROOT, f), 'utf8');
      // Only a path that names something in test/ counts: `test/${slot}` is a repository id.
      for (const m of text.matchAll(/['"`](test\/[^'"`$]+)['"`]/g)) {
        if (existsSync(join(ROOT, m[1] ?? ''))) offenders.push(`${f} → ${m[1] ?? ''}`);
      }
    }
    expect(offenders.sort()).toEqual([]);
  });
});
