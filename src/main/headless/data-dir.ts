/** Where Modelbay keeps settings, tokens and records: one rule for the server and the `modelbay` CLI. */
import { rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isModelbayError, ModelbayError } from '../../shared/errors/errors.js';
import { makeDirs } from '../core/fs/make-dirs.js';

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env['MODELBAY_DATA_DIR']) return resolve(env['MODELBAY_DATA_DIR']);
  return join(env['XDG_CONFIG_HOME'] ? resolve(env['XDG_CONFIG_HOME']) : join(homedir(), '.config'), 'modelbay');
}

const REMEDY = 'Choose another folder with --data-dir DIR (or MODELBAY_DATA_DIR)';

function unusable(dir: string, why: string, remedy: string, cause: string): ModelbayError {
  return new ModelbayError('EMB-E408', `The data folder ${dir} cannot be used: ${why}. ${remedy}.`, { dataDir: dir, cause });
}

/**
 * Makes the data folder (and its parents) and proves it writable, or throws EMB-E408
 * naming the folder and the remedy — before anything is read from it or locked in it.
 * Ends at once on file systems where Node's recursive mkdir would spin (/proc).
 */
export async function prepareDataDir(dir: string): Promise<void> {
  try {
    await makeDirs(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') throw unusable(dir, 'it, or a folder above it, is a file', `Move the file away, or ${REMEDY.toLowerCase()}`, code);
    if (code === 'EACCES' || code === 'EPERM') throw unusable(dir, 'permission to create it is denied', `${REMEDY}, or create it with the right owner`, code);
    if (code === 'EROFS') throw unusable(dir, 'the file system is read-only', REMEDY, code);
    if (isModelbayError(e)) throw unusable(dir, 'the file system refuses to create folders there', REMEDY, e.code);
    throw unusable(dir, `it cannot be created (${code ?? (e as Error).message})`, REMEDY, code ?? 'unknown');
  }
  // Permission bits say little (root passes them; a read-only mount refuses anyway): write a file.
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    await writeFile(probe, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
    throw unusable(dir, code === 'EROFS' ? 'the file system is read-only' : `files cannot be written in it (${code})`, `${REMEDY}, or give your user write access to it`, code);
  }
  await rm(probe, { force: true });
}
