/**
 * `modelbay lock`, `lock verify`, `lock restore` and `export triton|kserve`. The lockfile
 * is read and written here, beside the user (paths relative to the current folder); the
 * server hashes, downloads and exports. Exit 1 (a thrown ModelbayError) when a file differs
 * or a slot did not restore, after the report is printed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatBytes } from '../shared/values/bytes.js';
import { count } from '../shared/values/counts.js';
import { ModelbayError } from '../shared/errors/errors.js';
import { DEFAULT_LOCKFILE_NAME, MAX_LOCKFILE_BYTES, parseLockfile, serializeLockfile, type Lockfile } from '../shared/layouts/layouts.js';
import type { Output, ParsedCommand } from './commands-table.js';
import { withDownloadProgress } from './follow-downloads.js';
import type { ServerClient } from './server-client.js';

async function readLockfile(file: string): Promise<Lockfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ModelbayError('EMB-E150', `The lockfile ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, { file });
  }
  if (text.length > MAX_LOCKFILE_BYTES) throw new ModelbayError('EMB-E150', `${file} is larger than a lockfile can be.`, { file });
  try {
    return parseLockfile(text);
  } catch (e) {
    if (e instanceof ModelbayError) throw new ModelbayError(e.code, `${file}: ${e.message}`, { ...e.details, file });
    throw e;
  }
}

/** "All 4 files", or "The one file" when there is one. */
const allFiles = (n: number): string => (n === 1 ? 'The one file' : `All ${count(n, 'file')}`);

const slotsArg = (p: ParsedCommand): { slots?: ParsedCommand['slots'] } => (p.slots.length > 0 ? { slots: p.slots } : {});

export async function layoutLock(p: ParsedCommand, client: ServerClient, io: Output): Promise<void> {
  const print = (json: unknown, human: () => string): void => io.out(p.json ? `${JSON.stringify(json, null, 2)}\n` : human());
  const [verb, fileArg] = p.words;
  if (verb === undefined) {
    const file = resolve(p.strings.out ?? DEFAULT_LOCKFILE_NAME);
    const result = await client.command('lockLayout', slotsArg(p));
    await writeFile(file, serializeLockfile(result.lock));
    print({ file, ...result }, () => `Locked ${count(result.lock.slots.length, 'slot')} to ${file}:\n` +
      result.lock.slots.map((s) => `  ${s.slot}  ${s.repo}@${s.revision.slice(0, 12)}  ${count(s.files.length, 'file')}, ${formatBytes(s.files.reduce((n, f) => n + f.size, 0))}  ${s.device}${s.alias ? `  alias ${s.alias}` : ''}${s.pinned ? '  pinned' : ''}${s.preload ? '  preload' : ''}`).join('\n') + '\n' +
      (result.skipped.length ? `Not locked: ${result.skipped.map((s) => `${s.slot} (${s.reason})`).join(', ')}\n` : ''));
    return;
  }
  const file = resolve(fileArg ?? DEFAULT_LOCKFILE_NAME);
  const lock = await readLockfile(file);
  if (verb === 'verify') {
    const report = await client.command('verifyLock', { lock, ...slotsArg(p) });
    print({ file, ...report }, () => (report.ok
      ? `${allFiles(report.slots.reduce((n, s) => n + s.files.length, 0))} of ${count(report.slots.length, 'slot')} ${report.slots.reduce((n, s) => n + s.files.length, 0) === 1 ? 'matches' : 'match'} ${file} (cache ${report.cacheDir}).\n`
      : `${report.problems.join('\n')}\n${count(report.problems.length, 'file')} missing or different (cache ${report.cacheDir}).\n`));
    if (!report.ok) throw new ModelbayError('EMB-E108', `The cache does not match ${file}: ${count(report.problems.length, 'file')} missing or different.`, { problems: report.problems });
    return;
  }
  const wanted = new Set(lock.slots.map((s) => s.slot).filter((s) => p.slots.length === 0 || p.slots.includes(s)));
  const result = await withDownloadProgress(p, client, io, (d) => wanted.has(d.slot), () => client.command('restoreLock', { lock, ...slotsArg(p) }));
  if (p.json) io.out(`${JSON.stringify({ type: 'result', file, ...result })}\n`);
  else {
    io.out(result.slots.map((r) => {
      const s = lock.slots.find((x) => x.slot === r.slot);
      const head = r.ok ? `${r.slot}: restored ${s ? `${s.repo}@${s.revision.slice(0, 12)}` : ''}, verified against the lockfile, on ${r.device.used}` : `${r.slot}: ${r.error?.code ?? ''} ${r.error?.message ?? 'failed'}`;
      return r.ok && r.device.fellBack ? `${head}\n  (locked to ${r.device.wanted}, which this machine does not have: it runs on ${r.device.used} and moves there when that device appears)` : head;
    }).join('\n') + '\n');
  }
  if (!result.ok) {
    const failed = result.slots.filter((r) => !r.ok);
    throw new ModelbayError(failed[0]?.error?.code ?? 'EMB-E500', `${count(failed.length, 'slot')} ${failed.length === 1 ? 'was' : 'were'} not restored: ${failed.map((f) => f.slot).join(', ')}.`, { slots: failed.map((f) => f.slot) });
  }
}

export async function layoutExport(p: ParsedCommand, client: ServerClient, io: Output): Promise<void> {
  const [target, dirArg] = p.words as ['triton' | 'kserve', string];
  const lock = p.strings.lock !== undefined ? await readLockfile(resolve(p.strings.lock)) : undefined;
  const result = await client.command('exportLayout', {
    target, dir: resolve(dirArg), ...slotsArg(p),
    ...(lock ? { lock } : {}),
    ...(p.strings['storage-uri'] !== undefined ? { storageUri: p.strings['storage-uri'] } : {}),
  });
  io.out(p.json ? `${JSON.stringify(result, null, 2)}\n` : `Exported to ${result.dir} (${target}): ${count(result.files.length, 'file')}, ${count(result.linked, 'model file')} hard-linked from the cache, ${result.copied} copied.\n` +
    result.models.map((m) => `  ${m.name}  (${m.slot}, ${m.instanceKind === 'KIND_GPU' ? 'GPU' : 'CPU'})${m.models.length > 1 ? `: ensemble of ${m.models.slice(1).join(', ')}` : ''}`).join('\n') + '\n' +
    `Run it: tritonserver --model-repository=${result.dir}${target === 'kserve' ? `\nKServe: kubectl apply -f ${resolve(result.dir, 'inferenceservice.yaml')} (see README.md there)` : ''}\n`);
}
