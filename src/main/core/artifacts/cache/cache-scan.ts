/**
 * Reads a Hugging Face hub cache written by anyone (Modelbay, huggingface_hub, a copy
 * from another machine) and lists its repositories, revisions and the ONNX models with a
 * tokenizer among them. Metadata only, apart from one tiny pooling config per model.
 *
 * Foreign caches are odd in ways our own never is: partial blobs, dangling links, copies
 * instead of links (Windows without developer mode), no refs/, snapshot folders that are
 * not commits. Each oddity becomes a warning on its repository; one unreadable repository
 * never stops the scan of the others (huggingface_hub's scan_cache_dir gives up instead).
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskFile, DiskModel, DiskRepo, DiskRevision } from '../../../../shared/discovery.js';
import { RepoIdSchema } from '../../../../shared/settings.js';
import { findModels, type FileEntry } from './model-files.js';

const COMMIT_RE = /^[0-9a-f]{40}$/;
/** A snapshot deeper than this is not a model repository (or a link loop). */
const MAX_DEPTH = 12;
const MAX_FILES_PER_REVISION = 20_000;

export interface CacheScanResult {
  repos: DiskRepo[];
  models: Omit<DiskModel, 'usedBy'>[];
  totalBytes: number;
  warnings: string[];
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : String((err as Error).message ?? err);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** `models--org--name` → `org/name`, as huggingface_hub reads folder names. */
export function repoIdFromFolder(folder: string): string | null {
  if (!folder.startsWith('models--')) return null;
  const rest = folder.slice('models--'.length);
  return rest.length > 0 ? rest.split('--').join('/') : null;
}

export async function scanHubCache(root: string): Promise<CacheScanResult> {
  const result: CacheScanResult = { repos: [], models: [], totalBytes: 0, warnings: [] };
  let entries: Dirent[];
  try {
    entries = await listDir(root);
  } catch (err) {
    result.warnings.push(`The cache folder ${root} cannot be read (${errorText(err)}).`);
    return result;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const repo = repoIdFromFolder(entry.name);
    if (repo === null || !entry.isDirectory()) continue;
    try {
      const { info, models } = await scanRepo(join(root, entry.name), entry.name, repo);
      result.repos.push(info);
      result.models.push(...models);
      result.totalBytes += info.sizeOnDisk;
      for (const w of info.warnings) result.warnings.push(`${repo}: ${w}`);
    } catch (err) {
      // Whatever went wrong stays with this repository.
      const warning = `could not be read (${errorText(err)})`;
      result.repos.push({ repo, folder: entry.name, sizeOnDisk: 0, partialFiles: 0, revisions: [], lastModified: 0, lastAccessed: 0, warnings: [warning] });
      result.warnings.push(`${repo}: ${warning}`);
    }
  }
  return result;
}

interface BlobInfo {
  size: number;
  mtimeMs: number;
  atimeMs: number;
}

async function scanRepo(dir: string, folder: string, repo: string): Promise<{ info: DiskRepo; models: Omit<DiskModel, 'usedBy'>[] }> {
  const warnings: string[] = [];
  const blobs = new Map<string, BlobInfo>();
  let partialFiles = 0;
  let lastModified = 0;
  let lastAccessed = 0;
  for (const b of await listDir(join(dir, 'blobs'))) {
    if (!b.isFile()) continue;
    const p = join(dir, 'blobs', b.name);
    try {
      const st = await lstat(p);
      blobs.set(p, { size: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs });
      if (b.name.endsWith('.incomplete')) partialFiles++;
      lastModified = Math.max(lastModified, st.mtimeMs);
      lastAccessed = Math.max(lastAccessed, st.atimeMs);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
  const refs = await readRefs(join(dir, 'refs'), '', warnings);
  const revisions: DiskRevision[] = [];
  const models: Omit<DiskModel, 'usedBy'>[] = [];
  let copyBytes = 0;
  const snapshotsDir = join(dir, 'snapshots');
  const snapshots = await listDir(snapshotsDir);
  if (snapshots.length === 0) warnings.push('no snapshots: nothing usable is in this repository');
  for (const s of snapshots) {
    if (!s.isDirectory()) continue;
    if (!COMMIT_RE.test(s.name)) {
      warnings.push(`snapshots/${s.name} is not named by a commit: skipped`);
      continue;
    }
    const files: FileEntry[] = [];
    await walkSnapshot(join(snapshotsDir, s.name), '', 0, files, warnings);
    const distinct = new Map<string, number>();
    let revModified = 0;
    for (const f of files) {
      if (f.kind === 'broken' || f.size === null) continue;
      distinct.set(f.realPath, f.size);
      revModified = Math.max(revModified, f.mtimeMs);
      if (f.kind === 'copy') copyBytes += f.size;
      else if (!blobs.has(f.realPath)) {
        // A link out of this repository's blobs/ (a hand-made cache): its bytes still count.
        blobs.set(f.realPath, { size: f.size, mtimeMs: f.mtimeMs, atimeMs: f.mtimeMs });
      }
    }
    const broken = files.filter((f) => f.kind === 'broken');
    if (broken.length > 0) warnings.push(`${s.name.slice(0, 12)}: ${broken.length} dangling link${broken.length === 1 ? '' : 's'} (${broken.slice(0, 3).map((f) => f.path).join(', ')}${broken.length > 3 ? ', …' : ''})`);
    const diskFiles: DiskFile[] = files.map((f) => ({ path: f.path, size: f.size, kind: f.kind }));
    revisions.push({
      commit: s.name,
      refs: refs.get(s.name) ?? [],
      files: diskFiles.sort((a, b) => a.path.localeCompare(b.path)),
      sizeOnDisk: [...distinct.values()].reduce((a, b) => a + b, 0),
      lastModified: revModified,
      complete: broken.length === 0,
    });
    lastModified = Math.max(lastModified, revModified);
    const assignable = RepoIdSchema.safeParse(repo).success;
    for (const m of await findModels(files)) {
      const problems = assignable ? m.problems : [...m.problems, `"${repo}" has no owner/ part: Modelbay can only use owner/name repositories`];
      models.push({
        ...m,
        id: `hf:${repo}@${s.name}:${m.model}`,
        origin: 'hf-cache',
        repo,
        commit: s.name,
        folder: null,
        problems,
        complete: m.complete && problems.length === 0,
      });
    }
  }
  for (const [commit, names] of refs) {
    if (!revisions.some((r) => r.commit === commit)) warnings.push(`refs ${names.join(', ')} point to ${commit.slice(0, 12)}, which has no snapshot`);
  }
  revisions.sort((a, b) => b.lastModified - a.lastModified);
  const sizeOnDisk = [...blobs.values()].reduce((a, b) => a + b.size, 0) + copyBytes;
  return { info: { repo, folder, sizeOnDisk, partialFiles, revisions, lastModified, lastAccessed, warnings }, models };
}

/** refs/{name} → commit, names may hold `/` (refs/pr/1); a ref that is not a commit is a warning. */
async function readRefs(dir: string, prefix: string, warnings: string[], out = new Map<string, string[]>()): Promise<Map<string, string[]>> {
  for (const d of await listDir(dir)) {
    const name = prefix ? `${prefix}/${d.name}` : d.name;
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      await readRefs(p, name, warnings, out);
      continue;
    }
    try {
      const st = await stat(p);
      if (!st.isFile() || st.size > 256) throw new Error('not a ref file');
      const commit = (await readFile(p, 'utf8')).trim();
      if (!COMMIT_RE.test(commit)) {
        warnings.push(`refs/${name} does not hold a commit hash`);
        continue;
      }
      out.set(commit, [...(out.get(commit) ?? []), name]);
    } catch (err) {
      warnings.push(`refs/${name} cannot be read (${errorText(err)})`);
    }
  }
  return out;
}

/** Every file under `dir` with where its bytes are; links are followed, never folders through links. */
export async function walkSnapshot(dir: string, rel: string, depth: number, out: FileEntry[], warnings: string[]): Promise<void> {
  if (depth > MAX_DEPTH) {
    warnings.push(`${rel} is nested too deeply: skipped`);
    return;
  }
  for (const d of await listDir(dir)) {
    if (out.length >= MAX_FILES_PER_REVISION) return;
    const path = rel ? `${rel}/${d.name}` : d.name;
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      await walkSnapshot(p, path, depth + 1, out, warnings);
    } else if (d.isSymbolicLink()) {
      try {
        const st = await stat(p);
        if (!st.isFile()) {
          warnings.push(`${path} links to something that is not a file: skipped`);
          continue;
        }
        out.push({ path, absPath: p, realPath: await realpath(p), size: st.size, mtimeMs: st.mtimeMs, kind: 'link' });
      } catch {
        out.push({ path, absPath: p, realPath: p, size: null, mtimeMs: 0, kind: 'broken' });
      }
    } else if (d.isFile()) {
      const st = await lstat(p);
      out.push({ path, absPath: p, realPath: p, size: st.size, mtimeMs: st.mtimeMs, kind: 'copy' });
    }
  }
}
