/**
 * `mkdir -p` that always ends. Node's `mkdir(…, { recursive: true })` spins forever (at
 * full CPU, beyond any abort) where the file system answers ENOENT for a folder whose
 * parent exists — /proc/self is one such place (issue #10). Here each level is made at
 * most once, and a refusal becomes an error naming the folder.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ModelbayError } from '../../../shared/errors/errors.js';

const MAX_DEPTH = 64;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export async function makeDirs(path: string, depth = 0): Promise<void> {
  try {
    await mkdir(path);
    return;
  } catch (err) {
    const code = errno(err);
    if (code === 'EEXIST') {
      if ((await stat(path)).isDirectory()) return;
      throw err;
    }
    if (code !== 'ENOENT') throw err;
  }
  const parent = dirname(path);
  if (parent === path || depth >= MAX_DEPTH) {
    throw new ModelbayError('EMB-E123', `Cannot create the folder ${path}: its parent does not exist and cannot be made.`, { path });
  }
  await makeDirs(parent, depth + 1);
  try {
    await mkdir(path);
  } catch (err) {
    if (errno(err) === 'EEXIST' && (await stat(path)).isDirectory()) return;
    if (errno(err) === 'ENOENT') {
      throw new ModelbayError('EMB-E123', `The file system refuses to create folders in ${parent} (ENOENT although it exists). Choose a regular folder as the cache in Settings.`, { path, parent, cause: 'ENOENT' });
    }
    throw err;
  }
}
