/**
 * One rule per kind of value that reaches a path, a URL or a process: a repository id, a
 * revision, a commit, a sha256, a repository-relative file path and a cache folder. The
 * zod schemas, the Hub client and the cache layout all ask these functions, so a value the settings accept is
 * a value every later step accepts too (and the reverse): nothing is saved that would only
 * fail at download time. Each returns null when the value is fine, else the problem in
 * words, so a schema and an assertion can share it.
 */

/** A git object id: a commit (a snapshot folder, a `refs/` file) or a regular file's blob id, as the Hub and the cache write it. */
export const COMMIT_RE = /^[0-9a-f]{40}$/;
/** A sha256 digest: an LFS file's content id and etag, a pinned checksum, a blob's name in the cache. */
export const SHA256_RE = /^[0-9a-f]{64}$/;

const REPO_ID_RE = /^[A-Za-z0-9][\w.-]{0,95}\/[\w.-]{1,96}$/;
const REVISION_RE = /^[\w./-]{1,256}$/;

/** `owner/name`, as huggingface_hub validates it; no `.`/`..` parts, no `--` or `..` inside a name. */
export function repoIdProblem(repo: string): string | null {
  if (!REPO_ID_RE.test(repo)) return 'a repository is "owner/name"';
  const parts = repo.split('/');
  if (parts.some((p) => p === '.' || p === '..' || p.includes('..') || p.includes('--') || p.endsWith('.') || p.startsWith('-') || p.startsWith('.'))) {
    return 'a repository name may not start with "-" or ".", end with ".", or hold ".." or "--"';
  }
  return null;
}

/** A branch, tag or commit as a refs/ file name: `/` allowed, never an empty, `.` or `..` part. */
export function revisionProblem(revision: string): string | null {
  if (!REVISION_RE.test(revision)) return 'a revision is a branch, tag or commit (letters, digits, "-", "_", ".", "/")';
  if (revision.split('/').some((s) => s === '' || s === '.' || s === '..')) return 'a revision may not hold empty, "." or ".." parts';
  return null;
}

/** A path inside a repository: relative, `/`-separated, no drive letter, NUL, control character, `.`/`..` or empty part. */
export function repoPathProblem(path: string): string | null {
  if (path.length === 0 || path.length > 512) return 'a repository path has 1 to 512 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'a repository path may not hold control characters';
  if (path.startsWith('/') || path.includes('\\') || /^[A-Za-z]:/.test(path) || path.includes(':')) {
    return 'a repository path must be relative, use "/" and hold no drive letter or ":"';
  }
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) return 'a repository path must be relative and stay inside the repository';
  return null;
}

/**
 * Folders a model cache must never be: the filesystem root and the system trees (a
 * download into /proc or /dev never finishes; clearing /etc would be a disaster).
 */
const SYSTEM_ROOTS = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/proc', '/run', '/sbin', '/sys', '/usr', '/var/run', '/var/lib'];

function normalizePosix(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/**
 * A cache folder chosen by the user: an absolute path (POSIX or a Windows drive path),
 * not blank, no control characters, not a filesystem root, not inside a system tree.
 * Whether it collides with the data folder is the App's check: only it knows that folder.
 */
export function cacheDirProblem(dir: string): string | null {
  if (dir.trim().length === 0) return 'the cache folder is blank';
  if (dir !== dir.trim()) return 'the cache folder may not start or end with spaces';
  if (dir.length > 4096) return 'the cache folder path is too long';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(dir)) return 'the cache folder may not hold control characters';
  const windows = /^[A-Za-z]:[\\/]/.test(dir);
  if (!windows && !dir.startsWith('/')) return 'the cache folder must be an absolute path';
  if (windows) {
    if (/^[A-Za-z]:[\\/]*$/.test(dir)) return 'the cache folder may not be a drive root';
    return null;
  }
  const norm = normalizePosix(dir);
  if (norm === '/') return 'the cache folder may not be the filesystem root';
  for (const root of SYSTEM_ROOTS) {
    if (norm === root || norm.startsWith(`${root}/`)) return `the cache folder may not be inside the system folder ${root}`;
  }
  return null;
}

/** Whether `inner` is `outer` or lies below it (POSIX paths, normalized). */
export function pathWithin(inner: string, outer: string): boolean {
  const i = normalizePosix(inner.replace(/\\/g, '/'));
  const o = normalizePosix(outer.replace(/\\/g, '/'));
  return i === o || i.startsWith(o === '/' ? '/' : `${o}/`);
}

/** A folder of the user's own models: an absolute path (POSIX or a Windows drive path), no control characters. */
export function modelFolderProblem(dir: string): string | null {
  if (dir.length === 0 || dir.length > 4096) return 'a model folder path has 1 to 4096 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(dir)) return 'a model folder may not hold control characters';
  if (!dir.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(dir)) return 'a model folder must be an absolute path';
  return null;
}

/** A slot's public name (the model name in the serving API): lower case, digits, ".", "_", "-"; 1 to 64 characters. */
export const ALIAS_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function aliasProblem(alias: string): string | null {
  if (!ALIAS_RE.test(alias)) return 'an alias is 1 to 64 characters: a lower-case letter or digit, then lower-case letters, digits, ".", "_" or "-"';
  return null;
}
