/**
 * The artifact manager: one owner for the catalog, the cache's view of each slot,
 * downloads (with pause, resume, cancel), verification and cache clean-up. This file is
 * the facade; the work is done by its collaborators, which share one ManagerState:
 *   download-jobs.ts   run / pause / resume / cancel, progress, records of what arrived
 *   slot-verifier.ts   re-hash and record
 *   slot-clearing.ts   clear one / all slots, the cache size limit (removal: ../cache/snapshot-removal.ts)
 *   manager-state.ts   catalog + sources, checks, slot states (published from here only)
 */
import { join } from 'node:path';
import type { VerifyReport } from '../../../../shared/contract/api.js';
import type { CatalogSlotView, ReadinessReport, RevisionDownload, SlotDownloadProgress } from '../../../../shared/artifacts/artifacts.js';
import { ModelbayError, type SerializedError } from '../../../../shared/errors/errors.js';
import { SlotSourceSchema, type SlotSource } from '../../../../shared/settings/settings.js';
import { SLOT_IDS, isSlotId, type SlotId } from '../../../../shared/slots/slots.js';
import type { ArtifactState } from '../../../../shared/slots/state.js';
import { downloadSentence, modelFilesSentence } from '../../../../shared/slots/state-words.js';
import type { SlotFiles } from '../../runtime/session-factory.js';
import type { SlotHistory } from '../../../../shared/artifacts/updates.js';
import { SlotClearing } from './slot-clearing.js';
import { loadCatalog, slotView, type CatalogFile } from './catalog.js';
import { DownloadJobs } from './download-jobs.js';
import type { DownloaderPort } from '../transfer/downloader.js';
import { Downloader } from '../transfer/downloader.js';
import type { ByteWorkerEntry } from '../transfer/byte-thread.js';
import { downloaderTuning } from './downloader-tuning.js';
import { HubCacheLayout } from '../cache/hf-cache-layout.js';
import { ManagerState } from './manager-state.js';
import { nodeMetadataFs, type MetadataFs } from '../cache/revision-refs.js';
import type { FileCheck } from './readiness.js';
import { SlotVerifier } from './slot-verifier.js';
import type { ArtifactConfig, ArtifactListener, ArtifactManager } from './types.js';
import { VerificationRecords } from './verification-records.js';

export interface ArtifactManagerOptions {
  config: ArtifactConfig;
  /** Modelbay's own state folder (verification records live here, not in the HF cache). */
  stateDir: string;
  catalogPath: string;
  sources?: Partial<Record<SlotId, SlotSource>>;
  /** Default: a Downloader built from `config`. */
  downloader?: DownloaderPort;
  /** The download worker that default Downloader runs its byte paths in (default: the one beside the sources). */
  downloadWorker?: ByteWorkerEntry;
  now?: () => number;
  /** File metadata calls of readiness (tests count them). */
  metadataFs?: MetadataFs;
  /** How long close() waits for aborted downloads to wind down (default 5 s). */
  closeGraceMs?: number;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal, slot: SlotId): Promise<T> {
  if (signal.aborted) return Promise.reject(new ModelbayError('EMB-E114', `Waiting for ${slot}'s files was cancelled.`, { slot }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new ModelbayError('EMB-E114', `Waiting for ${slot}'s files was cancelled.`, { slot }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e instanceof Error ? e : new Error(String(e))); },
    );
  });
}

class HubArtifactManager implements ArtifactManager {
  private readonly jobs: DownloadJobs;
  private readonly verifier: SlotVerifier;
  private readonly clearing: SlotClearing;
  closeGraceMs = 5000;

  constructor(private readonly s: ManagerState) {
    this.jobs = new DownloadJobs(s);
    this.verifier = new SlotVerifier(s);
    this.clearing = new SlotClearing(s);
  }

  on(listener: ArtifactListener): () => void {
    this.s.listeners.add(listener);
    return () => this.s.listeners.delete(listener);
  }

  configure(partial: Partial<ArtifactConfig>): void {
    const cacheChanged = partial.cacheDir !== undefined && partial.cacheDir !== this.s.config.cacheDir;
    this.s.config = { ...this.s.config, ...partial };
    if (cacheChanged) this.s.layout = new HubCacheLayout(this.s.config.cacheDir);
    const d: Parameters<DownloaderPort['configure']>[0] = {};
    if (partial.cacheDir !== undefined) d.cacheDir = partial.cacheDir;
    if (partial.endpoint !== undefined) d.endpoint = partial.endpoint;
    if (partial.token !== undefined) d.token = partial.token;
    if (partial.offline !== undefined) d.offline = partial.offline;
    if (partial.downloadConcurrency !== undefined) d.concurrency = partial.downloadConcurrency;
    Object.assign(d, downloaderTuning(partial, this.s.config));
    if (Object.keys(d).length > 0) this.s.downloader.configure(d);
    if (cacheChanged) void this.s.readiness().catch(() => undefined);
  }

  catalog(): CatalogSlotView[] {
    return SLOT_IDS.map((s) => slotView(this.s.catalogEntries[s], this.s.model(s)));
  }

  setSlotSource(slot: SlotId, source: SlotSource | null): CatalogSlotView {
    if (!isSlotId(slot)) throw new ModelbayError('EMB-E001', `There is no slot "${String(slot)}".`, { slot });
    if (this.s.running(slot) || this.s.revisionPending(slot)) throw new ModelbayError('EMB-E007', `${slot} is downloading: pause or cancel it before changing its model.`, { slot });
    if (source === null) {
      this.s.setSource(slot, null);
    } else {
      const parsed = SlotSourceSchema.safeParse(source);
      if (!parsed.success) throw new ModelbayError('EMB-E002', `The model chosen for ${slot} is invalid: ${parsed.error.issues[0]?.message ?? 'invalid'}.`, { slot });
      this.s.setSource(slot, parsed.data);
    }
    this.s.failures.delete(slot);
    this.s.jobs.delete(slot);
    this.s.checks.delete(slot);
    this.s.emit({ type: 'catalog', catalog: this.catalog() });
    void this.s.readiness().catch(() => undefined);
    return slotView(this.s.catalogEntries[slot], this.s.model(slot));
  }

  fileBytes(slot: SlotId): number | null {
    const m = this.s.model(slot);
    if (!m) return null;
    const onDisk = new Map((this.s.checks.get(slot)?.files ?? []).map((f) => [f.file.path, f.size]));
    let total = 0;
    for (const f of m.files) {
      if (f.role !== 'model' && f.role !== 'external-data') continue;
      const size = f.size ?? onDisk.get(f.path) ?? null;
      if (size === null) return null;
      total += size;
    }
    return total;
  }

  readiness(): Promise<ReadinessReport> {
    return this.s.readiness();
  }

  states(): Record<SlotId, ArtifactState> {
    const out = {} as Record<SlotId, ArtifactState>;
    for (const slot of SLOT_IDS) out[slot] = this.s.stateOf(slot);
    return out;
  }

  download(slot: SlotId): Promise<SlotDownloadProgress> {
    return this.jobs.download(slot);
  }

  downloadRevision(slot: SlotId, revision: RevisionDownload, files?: CatalogFile[]): Promise<SlotDownloadProgress> {
    return this.jobs.downloadRevision(slot, revision, files);
  }

  downloadAll(): Promise<Array<{ slot: SlotId; ok: boolean; error?: SerializedError }>> {
    return this.jobs.downloadAll();
  }

  pause(slot: SlotId): SlotDownloadProgress {
    return this.jobs.pause(slot);
  }

  resume(slot: SlotId): SlotDownloadProgress {
    return this.jobs.resume(slot);
  }

  cancel(slot: SlotId): SlotDownloadProgress {
    return this.jobs.cancel(slot);
  }

  progress(): SlotDownloadProgress[] {
    return this.jobs.progress();
  }

  verify(slot: SlotId): Promise<VerifyReport> {
    return this.verifier.verify(slot);
  }

  clear(slot: SlotId): Promise<ReadinessReport> {
    return this.clearing.clear(slot);
  }

  clearAll(): Promise<ReadinessReport> {
    return this.clearing.clearAll();
  }

  enforceCacheLimit(protectedSlots: ReadonlySet<SlotId>, history: readonly SlotHistory[] = []): Promise<{ removedBytes: number; removed: string[] }> {
    return this.clearing.enforceCacheLimit(protectedSlots, history);
  }

  // ── the registry's and the runtime's side ──────────────────────────────────

  async prepare(slot: SlotId, signal: AbortSignal, autoDownload: boolean): Promise<void> {
    this.s.requireModel(slot);
    const c = await this.s.check(slot);
    this.s.publishState(slot);
    if (c.readiness.status === 'ready') return;
    if (!autoDownload) {
      throw new ModelbayError('EMB-E101', `${modelFilesSentence(slot, c.readiness.status, c.readiness)} Download the slot (or turn on auto-download).`, { slot, status: c.readiness.status, cause: c.readiness.code });
    }
    const p = await abortable(this.jobs.download(slot), signal, slot);
    if (p.phase !== 'done') throw new ModelbayError('EMB-E114', `${downloadSentence(slot, p.phase)} Its files are not ready.`, { slot, phase: p.phase });
  }

  async resolveFiles(slot: SlotId, signal: AbortSignal): Promise<SlotFiles> {
    this.s.requireModel(slot);
    if (signal.aborted) throw new ModelbayError('EMB-E114', `Resolving ${slot}'s files was cancelled.`, { slot });
    const c = await this.s.check(slot);
    if (c.readiness.status !== 'ready') {
      throw new ModelbayError('EMB-E101', modelFilesSentence(slot, c.readiness.status, { code: c.readiness.code, reason: c.readiness.reason ?? 'Download them first.' }), { slot, status: c.readiness.status });
    }
    const at = this.s.now();
    const pathOf = (f: FileCheck): string => {
      if (!f.snapshotPath) throw new ModelbayError('EMB-E101', `${slot}: ${f.file.path} is missing.`, { slot });
      if (f.blobPath) this.s.records.touch(f.blobPath, at);
      return f.snapshotPath;
    };
    const modelFile = c.files.find((f) => f.file.role === 'model');
    if (!modelFile) throw new ModelbayError('EMB-E101', `${slot} lists no model file.`, { slot });
    const files: SlotFiles = {
      model: pathOf(modelFile),
      externalData: c.files.filter((f) => f.file.role === 'external-data').map(pathOf),
      tokenizer: ((t) => (t ? pathOf(t) : null))(c.files.find((f) => f.file.role === 'tokenizer')),
      pooling: c.model?.pooling ?? null,
      dims: c.model?.dims ?? null,
    };
    void this.s.records.flush().catch(() => undefined);
    return files;
  }

  async close(): Promise<void> {
    this.s.closed = true;
    await this.jobs.closeAll(this.closeGraceMs);
    await this.s.records.flush().catch(() => undefined);
    this.s.listeners.clear();
  }
}

export async function createArtifactManager(options: ArtifactManagerOptions): Promise<ArtifactManager> {
  const catalog = await loadCatalog(options.catalogPath);
  const records = new VerificationRecords(join(options.stateDir, 'verifications.json'));
  await records.load();
  const downloader = options.downloader ?? defaultDownloader(options.config, options.downloadWorker);
  downloader.configure({ cacheDir: options.config.cacheDir, endpoint: options.config.endpoint, token: options.config.token, offline: options.config.offline, concurrency: options.config.downloadConcurrency, ...downloaderTuning(options.config, options.config) });
  const manager = new HubArtifactManager(new ManagerState(options.config, catalog, records, downloader, options.now ?? Date.now, options.metadataFs ?? nodeMetadataFs, options.sources ?? {}));
  if (options.closeGraceMs !== undefined) manager.closeGraceMs = options.closeGraceMs;
  await manager.readiness();
  return manager;
}

function defaultDownloader(config: ArtifactConfig, worker: ByteWorkerEntry | undefined): DownloaderPort {
  return new Downloader({ cacheDir: config.cacheDir, endpoint: config.endpoint, token: config.token, offline: config.offline, concurrency: config.downloadConcurrency, ...(worker ? { worker } : {}) });
}
