/**
 * Tokenizer benchmark: the host's tokenizer (@huggingface/tokenizers, JavaScript) against
 * a native binding of Hugging Face's Rust tokenizers, side by side in one run, on the
 * serving benchmark's short texts and on ~250-token texts, with the same generated
 * 30,522-word WordPiece tokenizer.json.
 *
 *   js_us_per_text       CPU time per text, the host's TextTokenizer.encode (what serving pays)
 *   native_us_per_text   CPU time per text, the native binding's encodeBatch of the same
 *                        batches (all its threads counted), when one is installed
 *   native_ratio         native / js: below 1 the native binding would remove a cost
 *
 * The native binding is not a dependency (the official `tokenizers` package is 64 MB with
 * every platform's binary); point BENCH_NATIVE_TOKENIZERS at an installed copy to compare:
 *   npm i --prefix /tmp/tok tokenizers && BENCH_NATIVE_TOKENIZERS=/tmp/tok/node_modules/tokenizers npm run bench:tokenizer
 * Without it, the JavaScript figures alone are printed. Last line: one JSON object.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEmbeddingModel } from '../src/devkit/onnx/embedding-model.js';
import { TextTokenizer } from '../src/main/host/text-tokenizer.js';

const VOCAB = 30_522;
const BATCH = 32;
const ROUNDS = 5;
const MAX_LENGTH = 512;

interface NativeEncoding {
  getIds(): number[];
  getTypeIds(): number[];
}
interface NativeTokenizer {
  encodeBatch(texts: string[]): Promise<NativeEncoding[]>;
}

/** The same short texts as bench:serve. */
function shortTexts(n: number): string[] {
  const words = ['the', 'model', 'embedding', 'vector', 'gpu', 'memory', 'semantic', 'search', 'graph', 'code', 'token', 'cat', 'dog', 'researcher', 'notebook'];
  return Array.from({ length: n }, (_, i) => {
    const len = 8 + (i * 7) % 16;
    return Array.from({ length: len }, (_, j) => words[(i * 3 + j * 5) % words.length]).join(' ');
  });
}

const longTexts = (n: number): string[] => shortTexts(n * 12).reduce<string[]>((out, t, i) => {
  if (i % 12 === 0) out.push(t);
  else out[out.length - 1] += ` ${t}`;
  return out;
}, []);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

type Run = (batch: string[]) => unknown;

/**
 * CPU µs per text of each run over `batches`: median of ROUNDS after one warm-up round,
 * the runs taking turns going first so neither always meets a warmer machine.
 */
async function perText(batches: string[][], runs: Run[]): Promise<Array<{ cpu: number; wall: number }>> {
  const texts = batches.reduce((n, b) => n + b.length, 0);
  const rounds: number[][] = runs.map(() => []);
  const walls: number[][] = runs.map(() => []);
  for (let r = 0; r <= ROUNDS; r++) {
    const order = runs.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const c0 = cpuNow();
      const t0 = performance.now();
      for (const b of batches) await (runs[i] as Run)(b);
      if (r > 0) {
        rounds[i]?.push((cpuNow() - c0) / texts);
        walls[i]?.push(((performance.now() - t0) * 1000) / texts);
      }
    }
  }
  return rounds.map((cpu, i) => ({ cpu: median(cpu), wall: median(walls[i] ?? []) }));
}

function loadNative(): ((path: string) => NativeTokenizer) | null {
  const where = process.env.BENCH_NATIVE_TOKENIZERS;
  if (!where) return null;
  if (!existsSync(where)) throw new Error(`BENCH_NATIVE_TOKENIZERS=${where} does not exist`);
  const mod = createRequire(import.meta.url)(where) as { Tokenizer: { fromFile(path: string): NativeTokenizer } };
  return (path) => mod.Tokenizer.fromFile(path);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'modelbay-bench-tok-'));
  try {
    const model = await writeEmbeddingModel({ dir, vocab: VOCAB, dim: 8, seed: 5 });
    const js = await TextTokenizer.fromFile(model.tokenizerPath);
    const nativeFrom = loadNative();
    const native = nativeFrom?.(model.tokenizerPath) ?? null;
    const cases = { short: shortTexts(BATCH * 64), long: longTexts(BATCH * 8) };
    const figures: Record<string, { js: number; native: number | null; tokens: number }> = {};
    for (const [name, texts] of Object.entries(cases)) {
      const batches = Array.from({ length: texts.length / BATCH }, (_, i) => texts.slice(i * BATCH, (i + 1) * BATCH));
      const tokens = texts.reduce((n, t) => n + js.encode(t, MAX_LENGTH).ids.length, 0) / texts.length;
      if (native) {
        // The same ids from both, or the comparison means nothing.
        const a = (await native.encodeBatch(batches[0] as string[])).map((e) => e.getIds());
        const b = (batches[0] as string[]).map((t) => js.encode(t, MAX_LENGTH).ids);
        if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`the two tokenizers disagree on the ${name} texts`);
      }
      const jsRun: Run = (b) => {
        for (const t of b) js.encode(t, MAX_LENGTH);
      };
      const [j, n] = await perText(batches, native ? [jsRun, (b) => native.encodeBatch(b)] : [jsRun]);
      const jsUs = j?.cpu ?? NaN;
      const nativeUs = n?.cpu ?? null;
      figures[name] = { js: jsUs, native: nativeUs, tokens };
      const wall = (x: { wall: number } | undefined): string => `${(x?.wall ?? NaN).toFixed(1)} µs wall`;
      console.log(`${name} texts (~${tokens.toFixed(0)} tokens), batches of ${BATCH}: JavaScript ${jsUs.toFixed(1)} µs CPU per text (${wall(j)})${nativeUs === null ? '' : `; native ${nativeUs.toFixed(1)} µs CPU (${wall(n)}), ${(nativeUs / jsUs).toFixed(2)}× the CPU`}`);
    }
    if (!native) console.log('native binding: not compared (set BENCH_NATIVE_TOKENIZERS to an installed `tokenizers` package)');
    const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);
    const short = figures.short as { js: number; native: number | null };
    console.log(JSON.stringify({
      js_us_per_text: round(short.js),
      native_us_per_text: round(short.native),
      native_ratio: short.native === null ? null : Math.round((short.native / short.js) * 100) / 100,
      long: { js_us_per_text: round(figures.long?.js ?? null), native_us_per_text: round(figures.long?.native ?? null) },
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
