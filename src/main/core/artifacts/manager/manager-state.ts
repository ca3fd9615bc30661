/**
 * What the artifact manager's collaborators share: the catalog and the user's sources, the
 * cache layout, the verification records, the download jobs, and the per-slot view of the
 * cache (checks, failures, published states). Slot states are computed and published here
 * only, so the state events the registry mirrors come from one place.
 */
import type { DownloadPhase, ReadinessReport, RevisionDownload, SlotDownloadProgress } from '../../../../shared/artifacts/artifacts.js';
import { MB } from '../../../../shared/values/bytes.js';
import { ModelbayError, type SerializedError } from '../../../../shared/errors/errors.js';
import type { SlotSource } from '../../../../shared/settings/settings.js';
import { SLOT_IDS, isSlotId, type SlotId } from '../../../../shared/slots/slots.js';
import type { ArtifactState } from '../../../../shared/slots/state.js';
import { slotModel, type Catalog, type CatalogFile, type SlotModel } from './catalog.js';
import type { DownloaderPort, FileRequest } from '../transfer/downloader.js';
import { HubCacheLayout } from '../cache/hf-cache-layout.js';
import type { MetadataFs } from '../cache/revision-refs.js';
import { checkSlot, summarize, type SlotCheck } from './readiness.js';
import type { ArtifactConfig, ArtifactEvent, ArtifactListener } from './types.js';
import type { VerificationRecords } from './verification-records.js';

/** At most this many progress events per second per file (plus every phase change). */
export const PROGRESS_INTERVAL_MS = 100;
export const ACTIVE_PHASES: ReadonlySet<DownloadPhase> = new Set(['queued', 'resolving', 'downloading']);
export const FINAL_PHASES: ReadonlySet<DownloadPhase> = new Set(['done', 'failed', 'cancelled', 'paused']);

export interface Job {
  slot: SlotId;
  progress: SlotDownloadProgress;
  controller: AbortController | null;
  run: Promise<SlotDownloadProgress> | null;
  /** Why the running download was aborted: a pause keeps partial data, a cancel discards it. */
  stop: 'pause' | 'cancel' | 'close' | null;
  /** Bumped by cancel: a run queued before it must not start. */
  generation: number;
  lastEmit: Map<string, { at: number; phase: DownloadPhase }>;
  /** Another commit than the slot's own (an update, a restore) until it is done, cancelled or failed. */
  target: RevisionTarget | null;
}

/** A commit fetched beside the slot's files; its caller waits through pauses for the outcome. */
export interface RevisionTarget {
  model: SlotModel;
  revision: RevisionDownload;
  resolve(progress: SlotDownloadProgress): void;
  reject(error: unknown): void;
}

export function megabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

export function idleProgress(slot: SlotId, phase: DownloadPhase): SlotDownloadProgress {
  return { slot, phase, bytes: 0, total: null, speedBps: 0, etaSeconds: null, files: [], error: null, retry: null };
}

export function request(model: SlotModel, file: CatalogFile): FileRequest {
  return { repo: model.repo, revision: model.revision, path: file.path, sha256: file.sha256, size: file.size };
}

export class ManagerState {
  readonly listeners = new Set<ArtifactListener>();
  readonly sources: Partial<Record<SlotId, SlotSource>>;
  readonly jobs = new Map<SlotId, Job>();
  /** Download failures that left nothing on disk to show for them (gated, not found, network). */
  readonly failures = new Map<SlotId, SerializedError>();
  readonly checks = new Map<SlotId, SlotCheck>();
  readonly lastStates = new Map<SlotId, ArtifactState>();
  /**
   * Each slot's model, built (and its paths checked) once when its source is set, not on
   * every load, download or check. A source that could not become a model keeps its error,
   * raised where the model is asked for, as before.
   */
  private readonly models = new Map<SlotId, SlotModel | null | Error>();
  layout: HubCacheLayout;
  closed = false;

  constructor(
    public config: ArtifactConfig,
    readonly catalogEntries: Catalog,
    readonly records: VerificationRecords,
    readonly downloader: DownloaderPort,
    readonly now: () => number,
    readonly fs: MetadataFs,
    sources: Partial<Record<SlotId, SlotSource>>,
  ) {
    this.layout = new HubCacheLayout(config.cacheDir);
    this.sources = { ...sources };
    for (const slot of SLOT_IDS) this.buildModel(slot);
  }

  /** Sets (or with null, clears) a slot's own source; the model is built first, so a source that cannot become one is refused whole. */
  setSource(slot: SlotId, source: SlotSource | null): void {
    if (source !== null) slotModel(this.catalogEntries[slot], source);
    if (source === null) delete this.sources[slot];
    else this.sources[slot] = source;
    this.buildModel(slot);
  }

  private buildModel(slot: SlotId): void {
    try {
      this.models.set(slot, slotModel(this.catalogEntries[slot], this.sources[slot]));
    } catch (err) {
      this.models.set(slot, err instanceof Error ? err : new Error(String(err)));
    }
  }

  emit(event: ArtifactEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's bug must not break a download.
      }
    }
  }

  activity(kind: 'download' | 'verify' | 'info' | 'error', slot: SlotId | null, message: string, code?: SerializedError['code']): void {
    this.emit({ type: 'activity', entry: code ? { kind, slot, message, code } : { kind, slot, message } });
  }

  model(slot: SlotId): SlotModel | null {
    const m = this.models.get(slot) ?? null;
    if (m instanceof Error) throw m;
    return m;
  }

  requireModel(slot: SlotId): SlotModel {
    if (!isSlotId(slot)) throw new ModelbayError('EMB-E001', `There is no slot "${String(slot)}".`, { slot });
    const m = this.model(slot);
    if (!m) throw new ModelbayError('EMB-E118', `${slot} has no model: choose a repository and file for it in the slot's settings.`, { slot });
    return m;
  }

  async check(slot: SlotId): Promise<SlotCheck> {
    const c = await checkSlot(slot, this.model(slot), this.layout, this.records, this.fs);
    const failure = this.failures.get(slot);
    // A failed download leaves little on disk: show its reason rather than "missing".
    if (failure && (c.readiness.status === 'missing' || c.readiness.status === 'partial')) {
      c.readiness = { ...c.readiness, status: 'failed', code: failure.code, reason: failure.message };
    }
    this.checks.set(slot, c);
    return c;
  }

  async readiness(): Promise<ReadinessReport> {
    const started = performance.now();
    const checks = await Promise.all(SLOT_IDS.map((s) => this.check(s)));
    const report = summarize(checks.map((c) => c.readiness), this.now(), performance.now() - started);
    this.emit({ type: 'readiness', report });
    for (const s of SLOT_IDS) this.publishState(s);
    return report;
  }

  diskState(slot: SlotId): ArtifactState {
    const status = this.checks.get(slot)?.readiness.status;
    if (status === 'ready') return 'ready';
    if (status === 'failed') return 'failed';
    return 'missing';
  }

  stateOf(slot: SlotId): ArtifactState {
    const job = this.jobs.get(slot);
    // Another commit arriving leaves the slot's own files, and so its state, as they are.
    if (job && job.run && job.stop === null && !job.target) {
      if (job.progress.phase === 'verifying') return 'verifying';
      if (ACTIVE_PHASES.has(job.progress.phase)) return 'downloading';
    }
    return this.diskState(slot);
  }

  /** Emits a state event when the slot's state differs from the last one published. */
  publishState(slot: SlotId, force = false): void {
    const state = this.stateOf(slot);
    if (!force && this.lastStates.get(slot) === state) return;
    this.lastStates.set(slot, state);
    const r = this.checks.get(slot)?.readiness;
    const error: SerializedError | null = state === 'failed'
      ? (this.failures.get(slot) ?? (r?.code ? { code: r.code, message: r.reason ?? 'failed', details: { slot } } : null))
      : null;
    this.emit({ type: 'state', slot, state, error });
  }

  running(slot: SlotId): boolean {
    const j = this.jobs.get(slot);
    // Between its last event and the settling of its promise a run is over in all but name.
    return !!j?.run && j.stop === null && !FINAL_PHASES.has(j.progress.phase);
  }

  /** A download of another commit waits for this slot (running or paused): its source and files must stay. */
  revisionPending(slot: SlotId): boolean {
    return !!this.jobs.get(slot)?.target;
  }

  emitReadiness(): void {
    const slots = SLOT_IDS.map((s) => this.checks.get(s)?.readiness).filter((r) => r !== undefined);
    if (slots.length === SLOT_IDS.length) this.emit({ type: 'readiness', report: summarize(slots, this.now(), 0) });
  }
}
