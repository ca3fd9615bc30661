/**
 * What is already on disk: every repository of the Hugging Face hub cache (whoever wrote
 * it: Modelbay, Python's huggingface_hub, a copy from another machine) and the user's own
 * model folders, with the ONNX models found in them. Like `hf cache scan`, plus which
 * ONNX files can be put in a slot.
 */
import type { SlotId } from '../slots/slots.js';

/** A file of a snapshot: a link to a blob (huggingface_hub), a plain copy (Windows without symlinks) or a dangling link. */
export interface DiskFile {
  path: string;
  /** Bytes on disk; null for a dangling link. */
  size: number | null;
  kind: 'link' | 'copy' | 'broken';
}

export interface DiskRevision {
  commit: string;
  /** Branches and tags (refs/…) pointing at this commit; empty in a cache without refs/. */
  refs: string[];
  files: DiskFile[];
  /** Bytes of the distinct blobs and copies this revision holds. */
  sizeOnDisk: number;
  lastModified: number;
  /** No dangling links. */
  complete: boolean;
}

/** An ONNX model with its tokenizer, ready to be assigned to a slot when complete. */
export interface DiskModel {
  /** Stable id: `hf:{repo}@{commit}:{path}` or `local:{folder}:{path}`. */
  id: string;
  origin: 'hf-cache' | 'local';
  /** The repository (hf-cache) or null (local). */
  repo: string | null;
  commit: string | null;
  /** The local folder (local) or null. */
  folder: string | null;
  /** The .onnx file, relative to the snapshot or folder. */
  model: string;
  externalData: string[];
  tokenizer: string | null;
  config: string | null;
  pooling: 'mean' | 'cls' | null;
  /** Bytes of the model, its external data and tokenizer. */
  bytes: number;
  complete: boolean;
  /** Why it is not complete, or why it cannot go in a slot. */
  problems: string[];
  /** Slots whose current source is this model. */
  usedBy: SlotId[];
}

export interface DiskRepo {
  repo: string;
  /** The folder name in the cache (models--org--name). */
  folder: string;
  /** Blobs (complete and partial) and copies, each counted once. */
  sizeOnDisk: number;
  /** Partial downloads in blobs/ (`*.incomplete`). */
  partialFiles: number;
  revisions: DiskRevision[];
  lastModified: number;
  lastAccessed: number;
  /** Something odd about this repository; the scan went on. */
  warnings: string[];
}

export interface LocalFolderReport {
  folder: string;
  ok: boolean;
  warning: string | null;
}

export interface DiskScanReport {
  at: number;
  cacheDir: string;
  computeMs: number;
  repos: DiskRepo[];
  localFolders: LocalFolderReport[];
  models: DiskModel[];
  /** Every repository's size on disk, summed (like `hf cache scan`'s total). */
  totalBytes: number;
  /** One line per repository or folder that could not be read fully. */
  warnings: string[];
}

/** The scan as the UI sees it: the last finished report and whether another is running. */
export interface DiskView {
  scanning: boolean;
  report: DiskScanReport | null;
  error: string | null;
}
