/**
 * Which files of a snapshot (or a local folder) make an embedding model Modelbay can run:
 * an .onnx file, its external-data file when there is one, and the tokenizer.json (and
 * config.json) of its folder or the nearest folder above — the layout of Hub repositories
 * that ship ONNX exports in onnx/ beside the tokenizer at the top.
 */
import { readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { DiskModel } from '../../../../shared/artifacts/discovery.js';

export interface FileEntry {
  /** Relative to the snapshot or folder, with `/`. */
  path: string;
  absPath: string;
  /** Where the bytes are (the blob for a link). */
  realPath: string;
  size: number | null;
  mtimeMs: number;
  kind: 'link' | 'copy' | 'broken';
}

/** What the files of one model say about it; the scan adds where it was found and who uses it. */
export type FoundModel = Pick<DiskModel, 'model' | 'externalData' | 'tokenizer' | 'config' | 'pooling' | 'bytes' | 'complete' | 'problems'>;

/** The file named `name` in `dir` or the nearest folder above it. */
function nearest(byPath: Map<string, FileEntry>, dir: string, name: string): FileEntry | null {
  let d = dir;
  for (;;) {
    const hit = byPath.get(d === '.' || d === '' ? name : `${d}/${name}`);
    if (hit) return hit;
    if (d === '.' || d === '') return null;
    d = posix.dirname(d);
  }
}

/** sentence-transformers' 1_Pooling/config.json says how token vectors become one. */
async function readPooling(entry: FileEntry | null): Promise<'mean' | 'cls' | null> {
  if (!entry || entry.kind === 'broken') return null;
  try {
    if ((await stat(entry.absPath)).size > 64 * 1024) return null;
    const cfg = JSON.parse(await readFile(entry.absPath, 'utf8')) as Record<string, unknown>;
    if (cfg['pooling_mode_cls_token'] === true) return 'cls';
    if (cfg['pooling_mode_mean_tokens'] === true) return 'mean';
  } catch {
    // An unreadable pooling config only means the default.
  }
  return null;
}

export async function findModels(files: FileEntry[]): Promise<FoundModel[]> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const out: FoundModel[] = [];
  const pooling = await readPooling(byPath.get('1_Pooling/config.json') ?? null);
  for (const f of files) {
    if (!f.path.toLowerCase().endsWith('.onnx')) continue;
    const dir = posix.dirname(f.path);
    const tokenizer = nearest(byPath, dir, 'tokenizer.json');
    // An ONNX file without a tokenizer is not a text embedding model Modelbay can run.
    if (!tokenizer) continue;
    const config = nearest(byPath, dir, 'config.json');
    const stem = f.path.slice(0, -'.onnx'.length);
    const externalData = [`${f.path}_data`, `${f.path}.data`, `${stem}.onnx_data`, `${stem}.data`]
      .filter((p, i, all) => all.indexOf(p) === i)
      .map((p) => byPath.get(p))
      .filter((e): e is FileEntry => e !== undefined);
    const parts = [f, ...externalData, tokenizer];
    const problems: string[] = [];
    for (const p of parts) {
      if (p.kind === 'broken') problems.push(`${p.path} is a dangling link (its blob is missing)`);
      else if (p.size === 0) problems.push(`${p.path} is empty`);
    }
    out.push({
      model: f.path,
      externalData: externalData.map((e) => e.path),
      tokenizer: tokenizer.path,
      config: config?.path ?? null,
      pooling,
      bytes: parts.reduce((s, p) => s + (p.size ?? 0), 0),
      complete: problems.length === 0,
      problems,
    });
  }
  return out;
}
