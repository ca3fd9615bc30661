/** What the artifact manager tells the rest of Modelbay: catalog views, downloads, readiness. */
import type { ErrorCode, SerializedError } from '../errors/errors.js';
import type { SlotId } from '../slots/slots.js';

export type ModelVariant = 'fp32' | 'fp16' | 'int8';
export type Pooling = 'mean' | 'cls' | 'none';
/** real: the slot's intended model; stand-in: a real model of another kind or dimension; none: no default model. */
export type CatalogStatus = 'real' | 'stand-in' | 'none';

export interface CatalogFileView {
  path: string;
  role: 'model' | 'external-data' | 'tokenizer' | 'config' | 'other';
  size: number | null;
  sha256: string | null;
}

export interface CatalogSlotView {
  slot: SlotId;
  status: CatalogStatus;
  repo: string | null;
  revision: string | null;
  variant: ModelVariant | null;
  files: CatalogFileView[];
  dims: number | null;
  pooling: Pooling | null;
  license: string | null;
  gated: boolean;
  /** Why a stand-in or no model: shown on the slot card. */
  note: string | null;
}

export const DOWNLOAD_PHASES = ['queued', 'resolving', 'downloading', 'paused', 'verifying', 'done', 'failed', 'cancelled'] as const;
export type DownloadPhase = (typeof DOWNLOAD_PHASES)[number];

/** A transfer that failed transiently and will be tried again at `nextAt` (epoch ms). */
export interface RetryNotice {
  /** The number of the coming try, 2 for the first retry. */
  attempt: number;
  /** All tries allowed: the first plus the retries. */
  of: number;
  code: ErrorCode;
  message: string;
  nextAt: number | null;
}

export interface FileProgress {
  slot: SlotId;
  file: string;
  phase: DownloadPhase;
  bytes: number;
  total: number | null;
  /** Bytes per second, smoothed. */
  speedBps: number;
  etaSeconds: number | null;
  error: SerializedError | null;
  /** Null unless the file waits to be tried again. */
  retry: RetryNotice | null;
}

export interface SlotDownloadProgress {
  slot: SlotId;
  phase: DownloadPhase;
  bytes: number;
  total: number | null;
  speedBps: number;
  etaSeconds: number | null;
  files: FileProgress[];
  error: SerializedError | null;
  /** The retry of any of its files, so the slot does not look stalled. */
  retry: RetryNotice | null;
  /** Set when the download fetches another commit than the slot's own (an update, a restore): from → to. */
  revision?: RevisionDownload;
}

/** A download of a commit beside the one a slot uses: the slot switches only once it is verified. */
export interface RevisionDownload {
  kind: 'update' | 'restore';
  /** The commit the slot uses now (null when it has none on disk). */
  from: string | null;
  to: string;
}

/** How a download names itself to the user: "update 1a2b3c4d → 5e6f7a8b", or null for a slot's own download. */
export function revisionLabel(p: Pick<SlotDownloadProgress, 'revision'>): string | null {
  const r = p.revision;
  if (!r) return null;
  return `${r.kind} ${r.from ? `${r.from.slice(0, 8)} → ` : ''}${r.to.slice(0, 8)}`;
}

export type ReadinessStatus = 'ready' | 'missing' | 'partial' | 'failed' | 'no-model';

export interface SlotReadiness {
  slot: SlotId;
  status: ReadinessStatus;
  /** A sentence for the user when not ready. */
  reason: string | null;
  code: ErrorCode | null;
  repo: string | null;
  revision: string | null;
  totalBytes: number;
  presentBytes: number;
  files: Array<{ path: string; size: number | null; present: boolean; verified: boolean }>;
}

export interface ReadinessReport {
  at: number;
  ready: number;
  total: number;
  totalBytes: number;
  presentBytes: number;
  missingBytes: number;
  /** How long computing the report took (goal < 100 ms for 13 slots). */
  computeMs: number;
  slots: SlotReadiness[];
}
