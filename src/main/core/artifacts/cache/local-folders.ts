/**
 * The user's own model folders (an .onnx file, tokenizer.json and config.json, e.g. an
 * `optimum-cli export onnx` output), remembered in settings and scanned with the cache.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { DiskModel, LocalFolderReport } from '../../../../shared/artifacts/discovery.js';
import { walkFiles } from './hf-cache-walk.js';
import { findModels, type FileEntry } from './model-files.js';

export async function scanLocalFolder(folder: string): Promise<{ report: LocalFolderReport; models: Omit<DiskModel, 'usedBy'>[] }> {
  const fail = (warning: string): { report: LocalFolderReport; models: [] } => ({ report: { folder, ok: false, warning }, models: [] });
  if (!isAbsolute(folder)) return fail('not an absolute path');
  try {
    if (!(await stat(folder)).isDirectory()) return fail('not a folder');
  } catch (err) {
    return fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const files: FileEntry[] = [];
  const warnings: string[] = [];
  try {
    // Only a few levels and files: a model folder is shallow, a home folder is not.
    await walkFiles(folder, '', 0, files, warnings, { maxDepth: 3, maxFiles: 20_000 });
  } catch (err) {
    return fail(`cannot be read (${(err as Error).message})`);
  }
  const found = await findModels(files);
  const models = found.map((m) => {
    const problems = m.config ? m.problems : [...m.problems, 'no config.json beside the model'];
    return { ...m, id: `local:${folder}:${m.model}`, origin: 'local' as const, repo: null, commit: null, folder, problems, complete: m.complete && problems.length === 0 };
  });
  const warning = models.length === 0 ? 'no .onnx file with a tokenizer.json found' : (warnings[0] ?? null);
  return { report: { folder, ok: models.length > 0, warning }, models };
}
