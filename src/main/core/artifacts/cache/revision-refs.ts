/**
 * What a revision stands for in the cache, from its refs/ file, and the few metadata
 * calls that readers of the cache make (tests inject a counting set).
 */
import * as nodeFs from 'node:fs/promises';
import { COMMIT_RE } from '../../../../shared/values/values.js';
import type { HubCacheLayout } from './hf-cache-layout.js';

/** The few file-system calls readiness and the refs lookup make; tests inject a counting one. */
export interface MetadataFs {
  stat(path: string): Promise<{ size: number; mtimeMs: number; isFile(): boolean }>;
  realpath(path: string): Promise<string>;
  /** Only for refs/{revision}, a 40-byte file. */
  readFile(path: string, encoding: 'utf8'): Promise<string>;
}

export const nodeMetadataFs: MetadataFs = {
  stat: (p) => nodeFs.stat(p),
  realpath: (p) => nodeFs.realpath(p),
  readFile: (p, e) => nodeFs.readFile(p, e),
};

/** The commit a revision stands for in the cache: itself when it is a commit, else refs/{revision}. */
export async function cachedCommit(layout: HubCacheLayout, repo: string, revision: string, fs: MetadataFs = nodeMetadataFs): Promise<string | null> {
  if (COMMIT_RE.test(revision)) return revision;
  try {
    const text = (await fs.readFile(layout.refPath(repo, revision), 'utf8')).trim();
    return COMMIT_RE.test(text) ? text : null;
  } catch {
    return null;
  }
}
