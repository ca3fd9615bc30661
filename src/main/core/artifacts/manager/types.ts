/**
 * What the rest of Modelbay asks of the artifact manager (src/main/app/app.ts composes it;
 * the registry's `prepare` hook and the runtime's file resolver call it). The manager
 * owns the catalog, the Hub client, the downloader and the HF cache.
 */
import type { ActivityEntry } from '../../../../shared/contract/activity.js';
import type { VerifyReport } from '../../../../shared/contract/api.js';
import type { CatalogSlotView, ReadinessReport, RevisionDownload, SlotDownloadProgress } from '../../../../shared/artifacts/artifacts.js';
import type { SerializedError } from '../../../../shared/errors/errors.js';
import type { SlotSource } from '../../../../shared/settings/settings.js';
import type { SlotHistory } from '../../../../shared/artifacts/updates.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import type { ArtifactState } from '../../../../shared/slots/state.js';
import type { SlotFiles } from '../../runtime/session-factory.js';
import type { CatalogFile } from './catalog.js';

export type ArtifactEvent =
  /** At most 10 per second per file while bytes arrive; always one on every phase change. */
  | { type: 'progress'; progress: SlotDownloadProgress }
  /** A slot's files changed state: the registry mirrors it (`setArtifactState`). */
  | { type: 'state'; slot: SlotId; state: ArtifactState; error: SerializedError | null }
  | { type: 'readiness'; report: ReadinessReport }
  | { type: 'catalog'; catalog: CatalogSlotView[] }
  | { type: 'activity'; entry: Omit<ActivityEntry, 'at'> };

export type ArtifactListener = (event: ArtifactEvent) => void;

/** Settings the manager follows live. */
export interface ArtifactConfig {
  /** Absolute cache root (already resolved from settings / HF_HUB_CACHE / HF_HOME). */
  cacheDir: string;
  cacheLimitBytes: number | null;
  endpoint: string;
  /** The token to send to the Hub's own host (never to a CDN); null = anonymous. */
  token: string | null;
  offline: boolean;
  downloadConcurrency: number;
  /** Low-speed floor per attempt (bytes/s, 0 = off) and its window (s); absent = the downloader's default. */
  downloadLowSpeedBps?: number;
  downloadLowSpeedSeconds?: number;
  /** Range parts per large LFS file; 1 = one stream. */
  downloadPartsPerFile?: number;
}

export interface ArtifactManager {
  on(listener: ArtifactListener): () => void;
  configure(config: Partial<ArtifactConfig>): void;

  catalog(): CatalogSlotView[];
  /** Point a slot at the user's own repository and files; null restores the catalog default. */
  setSlotSource(slot: SlotId, source: SlotSource | null): CatalogSlotView;
  /** Weights bytes of a slot's files when known (for the memory estimate before a load). */
  fileBytes(slot: SlotId): number | null;

  /** From file metadata and recorded verifications, never re-hashing (< 100 ms for 13 slots). */
  readiness(): Promise<ReadinessReport>;
  /** Artifact state of every slot right now (for the registry at start-up). */
  states(): Record<SlotId, ArtifactState>;

  /** Download and verify a slot's missing files; resolves when the slot is ready. */
  download(slot: SlotId): Promise<SlotDownloadProgress>;
  /**
   * Download and verify another commit of the slot's files beside the ones it uses (an
   * update, a restore), through the same queue, controls and progress as any download,
   * labelled with `revision`. Resolves when verified; waits through a pause; rejects on
   * cancel (EMB-E114), failure or shutdown. The slot's source and files are not changed.
   */
  /** `files`: which files of that commit (by default the slot's own model files). */
  downloadRevision(slot: SlotId, revision: RevisionDownload, files?: CatalogFile[]): Promise<SlotDownloadProgress>;
  /** Queues every slot that is not ready (and has a model); resolves when all are settled. */
  downloadAll(): Promise<Array<{ slot: SlotId; ok: boolean; error?: SerializedError }>>;
  pause(slot: SlotId): SlotDownloadProgress;
  resume(slot: SlotId): SlotDownloadProgress;
  cancel(slot: SlotId): SlotDownloadProgress;
  progress(): SlotDownloadProgress[];

  /** Re-hash a slot's files against their pinned sha256; a corrupt file marks the slot failed. */
  verify(slot: SlotId): Promise<VerifyReport>;
  /** Remove a slot's snapshot (and blobs no other snapshot uses). */
  clear(slot: SlotId): Promise<ReadinessReport>;
  clearAll(): Promise<ReadinessReport>;
  /**
   * Apply the cache size limit: revisions no slot uses first, then the ones slots used
   * before (`history`), oldest first, the one a roll back needs last; never the revision an
   * assigned slot uses (nor `protectedSlots`', whatever their source says now). When that
   * is not enough, an EMB-E139 activity line says so and those files stay.
   */
  enforceCacheLimit(protectedSlots: ReadonlySet<SlotId>, history?: readonly SlotHistory[]): Promise<{ removedBytes: number; removed: string[] }>;

  /**
   * The registry's prepare hook: resolves when the slot's files are ready; downloads them
   * first when `autoDownload` is true, otherwise rejects with EMB-E101 (or EMB-E118 when the
   * slot has no model).
   */
  prepare(slot: SlotId, signal: AbortSignal, autoDownload: boolean): Promise<void>;
  /** The runtime's resolver: absolute paths of a ready slot's files. */
  resolveFiles(slot: SlotId, signal: AbortSignal): Promise<SlotFiles>;

  /** Stop downloads (their partial files stay for resume) and timers. */
  close(): Promise<void>;
}
