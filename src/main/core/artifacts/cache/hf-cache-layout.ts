/**
 * Where things live in the standard Hugging Face hub cache, shared byte for byte with
 * Python's huggingface_hub and transformers (the same paths, names and refs):
 *
 *   {cache}/models--{org}--{name}/blobs/{etag}
 *   {cache}/models--{org}--{name}/snapshots/{commit}/{path}   → ../../blobs/{etag}
 *   {cache}/models--{org}--{name}/refs/{revision}             the 40-hex commit, no newline
 *   {cache}/.locks/models--{org}--{name}/{etag}.lock
 *
 * Every name that comes from a catalog, a setting or a server answer is checked here
 * before it becomes a path: nothing may escape the cache.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { COMMIT_RE, repoIdProblem, repoPathProblem, revisionProblem, SHA256_RE } from '../../../../shared/values/values.js';

export function assertRepoId(repo: string): string {
  const problem = repoIdProblem(repo);
  if (problem !== null) {
    throw new ModelbayError('EMB-E111', `"${repo.slice(0, 200)}" is not a repository id: ${problem}.`, { repo: repo.slice(0, 200) });
  }
  return repo;
}

export function assertCommit(commit: string): string {
  if (!COMMIT_RE.test(commit)) throw new ModelbayError('EMB-E111', `"${commit.slice(0, 80)}" is not a 40-character commit hash.`, { commit: commit.slice(0, 80) });
  return commit;
}

export function assertEtag(etag: string): string {
  // An LFS etag is a sha256; a regular file's is a git blob sha1 (the commit pattern).
  if (!SHA256_RE.test(etag) && !COMMIT_RE.test(etag)) throw new ModelbayError('EMB-E111', `The Hub sent an etag that cannot be a file name in the cache: "${etag.slice(0, 80)}".`, { etag: etag.slice(0, 80) });
  return etag;
}

/** A repository-relative file path: relative, no `..`, `.`, empty segments or backslashes. */
export function assertRepoPath(path: string): string {
  if (repoPathProblem(path) !== null) {
    throw new ModelbayError('EMB-E111', `The path "${path.slice(0, 200)}" would leave the repository: refused.`, { path: path.slice(0, 200) });
  }
  return path;
}

/** A revision as a refs/ file name: branch and tag names may hold `/`, never `..`. */
export function assertRevision(revision: string): string {
  if (revisionProblem(revision) !== null) {
    throw new ModelbayError('EMB-E111', `"${revision.slice(0, 80)}" is not a revision name.`, { revision: revision.slice(0, 80) });
  }
  return revision;
}

/** `org/name` → `models--org--name`. */
export function repoFolderName(repo: string): string {
  return `models--${assertRepoId(repo).replace('/', '--')}`;
}

/** Join inside `root` and prove the result stays there (defence in depth after the checks above). */
export function inside(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const p = resolve(base, ...parts);
  const rel = relative(base, p);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw new ModelbayError('EMB-E111', `A cache path would leave ${base}: refused.`, { root: base, parts });
  }
  return p;
}

export class HubCacheLayout {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }
  repoDir(repo: string): string {
    return inside(this.root, repoFolderName(repo));
  }
  blobsDir(repo: string): string {
    return inside(this.root, repoFolderName(repo), 'blobs');
  }
  blobPath(repo: string, etag: string): string {
    return inside(this.root, repoFolderName(repo), 'blobs', assertEtag(etag));
  }
  snapshotDir(repo: string, commit: string): string {
    return inside(this.root, repoFolderName(repo), 'snapshots', assertCommit(commit));
  }
  snapshotPath(repo: string, commit: string, path: string): string {
    return inside(this.root, repoFolderName(repo), 'snapshots', assertCommit(commit), ...assertRepoPath(path).split('/'));
  }
  refPath(repo: string, revision: string): string {
    return inside(this.root, repoFolderName(repo), 'refs', ...assertRevision(revision).split('/'));
  }
  noExistPath(repo: string, commit: string, path: string): string {
    return inside(this.root, repoFolderName(repo), '.no_exist', assertCommit(commit), ...assertRepoPath(path).split('/'));
  }
  lockPath(repo: string, etag: string): string {
    return inside(this.root, '.locks', repoFolderName(repo), `${assertEtag(etag)}.lock`);
  }
  /**
   * Modelbay's partial file for a blob. Not huggingface_hub's name (`{etag}.incomplete`,
   * or `{etag}.{8 hex}.incomplete` since 1.18), so Python never writes into it; it
   * survives restarts so a download resumes.
   */
  partialPath(repo: string, etag: string): string {
    return inside(this.root, repoFolderName(repo), 'blobs', `${assertEtag(etag)}.modelbay.incomplete`);
  }
  /** Progress of each Range part of a parallel download, beside its partial file. */
  partsPath(repo: string, etag: string): string {
    return inside(this.root, repoFolderName(repo), 'blobs', `${assertEtag(etag)}.modelbay.parts.json`);
  }
  /** The exclusive writer lock of a partial file (not huggingface_hub's flock file, which it never deletes). */
  writerLockPath(repo: string, etag: string): string {
    return inside(this.root, '.locks', repoFolderName(repo), `${assertEtag(etag)}.modelbay.lock`);
  }
  /** The relative symlink target from a snapshot file to its blob, as huggingface_hub writes it. */
  blobLinkTarget(repo: string, commit: string, path: string, etag: string): string {
    const from = this.snapshotPath(repo, commit, path);
    return relative(resolve(from, '..'), this.blobPath(repo, etag));
  }
}
