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
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskFile, DiskModel, DiskRepo, DiskRevision } from '../../../../shared/artifacts/discovery.js';
import { RepoIdSchema } from '../../../../shared/settings/settings.js';
import { COMMIT_RE } from '../../../../shared/values/values.js';
import { count } from '../../../../shared/values/counts.js';
import { listDir, walkHubCache, type BlobInfo, type WalkedRepo } from './hf-cache-walk.js';
import { findModels, type FileEntry } from './model-files.js';

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

/** `models--org--name` → `org/name`, as huggingface_hub reads folder names. */
export function repoIdFromFolder(folder: string): string | null {
  if (!folder.startsWith('models--')) return null;
  const rest = folder.slice('models--'.length);
  return rest.length > 0 ? rest.split('--').join('/') : null;
}

export async function scanHubCache(root: string): Promise<CacheScanResult> {
  const result: CacheScanResult = { repos: [], models: [], totalBytes: 0, warnings: [] };
  const walk = await walkHubCache(root);
  if (walk.error) {
    result.warnings.push(`The cache folder ${root} cannot be read (${errorText(walk.error)}).`);
    return result;
  }
  for (const walked of walk.repos) {
    const repo = repoIdFromFolder(walked.folder);
    if (repo === null) continue;
    let failure: unknown = walked.error;
    if (failure === null) {
      try {
        const { info, models } = await scanRepo(walked, repo);
        result.repos.push(info);
        result.models.push(...models);
        result.totalBytes += info.sizeOnDisk;
        for (const w of info.warnings) result.warnings.push(`${repo}: ${w}`);
        continue;
      } catch (err) {
        failure = err;
      }
    }
    // Whatever went wrong stays with this repository.
    const warning = `could not be read (${errorText(failure)})`;
    result.repos.push({ repo, folder: walked.folder, sizeOnDisk: 0, partialFiles: 0, revisions: [], lastModified: 0, lastAccessed: 0, warnings: [warning] });
    result.warnings.push(`${repo}: ${warning}`);
  }
  return result;
}

/** A revision's files as the report shows them: no deeper than MAX_DEPTH, at most MAX_FILES_PER_REVISION. */
function shownFiles(all: FileEntry[], warnings: string[]): FileEntry[] {
  const deep = new Set<string>();
  const shown: FileEntry[] = [];
  for (const f of all) {
    const parts = f.path.split('/');
    if (parts.length > MAX_DEPTH + 1) {
      const dir = parts.slice(0, MAX_DEPTH + 1).join('/');
      if (!deep.has(dir)) warnings.push(`${dir} is nested too deeply: skipped`);
      deep.add(dir);
      continue;
    }
    if (shown.length < MAX_FILES_PER_REVISION) shown.push(f);
  }
  return shown;
}

async function scanRepo(walked: WalkedRepo, repo: string): Promise<{ info: DiskRepo; models: Omit<DiskModel, 'usedBy'>[] }> {
  const { dir, folder } = walked;
  const warnings: string[] = [];
  const blobs = new Map<string, BlobInfo>(walked.blobs);
  let partialFiles = 0;
  let lastModified = 0;
  let lastAccessed = 0;
  for (const [p, st] of blobs) {
    if (p.endsWith('.incomplete')) partialFiles++;
    lastModified = Math.max(lastModified, st.mtimeMs);
    lastAccessed = Math.max(lastAccessed, st.atimeMs);
  }
  const refs = await readRefs(join(dir, 'refs'), '', warnings);
  const revisions: DiskRevision[] = [];
  const models: Omit<DiskModel, 'usedBy'>[] = [];
  let copyBytes = 0;
  if (walked.snapshotEntries === 0) warnings.push('no snapshots: nothing usable is in this repository');
  for (const s of walked.snapshots) {
    if (!COMMIT_RE.test(s.commit)) {
      warnings.push(`snapshots/${s.commit} is not named by a commit: skipped`);
      continue;
    }
    warnings.push(...s.warnings);
    const files = shownFiles(s.files, warnings);
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
    if (broken.length > 0) warnings.push(`${s.commit.slice(0, 12)}: ${count(broken.length, 'dangling link')} (${broken.slice(0, 3).map((f) => f.path).join(', ')}${broken.length > 3 ? ', …' : ''})`);
    const diskFiles: DiskFile[] = files.map((f) => ({ path: f.path, size: f.size, kind: f.kind }));
    revisions.push({
      commit: s.commit,
      refs: refs.get(s.commit) ?? [],
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
        id: `hf:${repo}@${s.commit}:${m.model}`,
        origin: 'hf-cache',
        repo,
        commit: s.commit,
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
