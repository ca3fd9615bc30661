/**
 * Whether each slot's files are in the cache, from file metadata only: the ref gives the
 * commit, the snapshot entry (followed to its blob) gives existence and size, and the
 * verification records say what was hashed before. Nothing here reads a model's bytes,
 * so start-up stays fast whatever the models weigh.
 */
import type { ReadinessReport, SlotReadiness } from '../../../../shared/artifacts/artifacts.js';
import type { ErrorCode } from '../../../../shared/errors/errors.js';
import { formatBytes } from '../../../../shared/values/bytes.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import type { CatalogFile, SlotModel } from './catalog.js';
import type { HubCacheLayout } from '../cache/hf-cache-layout.js';
import { cachedCommit, nodeMetadataFs, type MetadataFs } from '../cache/revision-refs.js';
import { permissionDenied } from '../hub/transfer-errors.js';
import type { VerificationRecords } from './verification-records.js';

export interface FileCheck {
  file: CatalogFile;
  snapshotPath: string | null;
  /** Where the bytes are (the blob a snapshot link points to, or the snapshot file itself). */
  blobPath: string | null;
  present: boolean;
  /** Size on disk when present, else the catalog's size. */
  size: number | null;
  mtimeMs: number | null;
  verified: boolean;
  problem: { code: ErrorCode; reason: string } | null;
}

export interface SlotCheck {
  slot: SlotId;
  model: SlotModel | null;
  commit: string | null;
  files: FileCheck[];
  readiness: SlotReadiness;
}

async function checkFile(file: CatalogFile, model: SlotModel, commit: string | null, layout: HubCacheLayout, records: VerificationRecords, fs: MetadataFs): Promise<FileCheck> {
  const absent: FileCheck = { file, snapshotPath: null, blobPath: null, present: false, size: file.size, mtimeMs: null, verified: false, problem: null };
  if (!commit) return absent;
  const snapshotPath = layout.snapshotPath(model.repo, commit, file.path);
  let st: { size: number; mtimeMs: number; isFile(): boolean };
  try {
    st = await fs.stat(snapshotPath);
  } catch (err) {
    const denied = permissionDenied(err, layout.root);
    return { ...absent, snapshotPath, problem: denied ? { code: denied.code, reason: denied.message } : null };
  }
  if (!st.isFile()) return { ...absent, snapshotPath, problem: { code: 'EMB-E101', reason: `${file.path} in the cache is not a file.` } };
  let blobPath = snapshotPath;
  try {
    blobPath = await fs.realpath(snapshotPath);
  } catch {
    // stat just followed the link, so this only fails in a race with a deletion: keep the snapshot path.
  }
  const record = records.current(blobPath, st.size, st.mtimeMs);
  const base: FileCheck = { file, snapshotPath, blobPath, present: true, size: st.size, mtimeMs: st.mtimeMs, verified: record?.ok === true, problem: null };
  if (file.size !== null && st.size !== file.size) {
    return { ...base, verified: false, problem: { code: 'EMB-E109', reason: `${file.path} has ${formatBytes(st.size)} on disk, the catalog expects ${formatBytes(file.size)}.` } };
  }
  if (record && !record.ok) {
    return { ...base, problem: { code: 'EMB-E108', reason: `${file.path} failed its checksum when last verified: download it again.` } };
  }
  return base;
}

export async function checkSlot(slot: SlotId, model: SlotModel | null, layout: HubCacheLayout, records: VerificationRecords, fs: MetadataFs = nodeMetadataFs): Promise<SlotCheck> {
  if (!model) {
    return {
      slot, model, commit: null, files: [],
      readiness: { slot, status: 'no-model', reason: 'No default model — choose one.', code: 'EMB-E118', repo: null, revision: null, totalBytes: 0, presentBytes: 0, files: [] },
    };
  }
  const commit = await cachedCommit(layout, model.repo, model.revision, fs);
  let files = await Promise.all(model.files.map((f) => checkFile(f, model, commit, layout, records, fs)));
  // No commit found may mean the folder cannot be read at all: say so, not "not downloaded".
  const denied = commit === null ? await fs.stat(layout.refPath(model.repo, model.revision)).then(() => null, (err: unknown) => permissionDenied(err, layout.root)) : null;
  if (denied) files = files.map((f) => ({ ...f, problem: { code: denied.code, reason: denied.message } }));
  const present = files.filter((f) => f.present);
  const failed = files.find((f) => f.problem !== null);
  const totalBytes = files.reduce((s, f) => s + (f.size ?? 0), 0);
  const presentBytes = present.reduce((s, f) => s + (f.size ?? 0), 0);
  let status: SlotReadiness['status'];
  let reason: string | null = null;
  let code: ErrorCode | null = null;
  if (failed?.problem) {
    status = 'failed';
    reason = failed.problem.reason;
    code = failed.problem.code;
  } else if (present.length === files.length) {
    status = 'ready';
  } else if (present.length === 0) {
    status = 'missing';
    reason = `Not downloaded: ${model.repo}@${model.revision.slice(0, 12)}.`;
    code = 'EMB-E101';
  } else {
    status = 'partial';
    reason = `Missing ${files.filter((f) => !f.present).map((f) => f.file.path).join(', ')}.`;
    code = 'EMB-E101';
  }
  return {
    slot, model, commit, files,
    readiness: {
      slot, status, reason, code, repo: model.repo, revision: model.revision, totalBytes, presentBytes,
      files: files.map((f) => ({ path: f.file.path, size: f.size, present: f.present, verified: f.verified })),
    },
  };
}

/** Totals count a file once even when several slots use it (E2–E4 share one stand-in). */
export function summarize(slots: SlotReadiness[], at: number, computeMs: number): ReadinessReport {
  const seen = new Set<string>();
  let totalBytes = 0;
  let presentBytes = 0;
  for (const r of slots) {
    for (const f of r.files) {
      const key = `${r.repo ?? ''}@${r.revision ?? ''}/${f.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      totalBytes += f.size ?? 0;
      if (f.present) presentBytes += f.size ?? 0;
    }
  }
  return {
    at,
    ready: slots.filter((r) => r.status === 'ready').length,
    total: slots.length,
    totalBytes,
    presentBytes,
    missingBytes: Math.max(0, totalBytes - presentBytes),
    computeMs,
    slots,
  };
}
