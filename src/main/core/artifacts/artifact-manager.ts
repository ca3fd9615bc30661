/**
 * The artifact manager: one owner for the catalog, the cache's view of each slot,
 * downloads (with pause, resume, cancel), verification and cache clean-up. Every
 * change of a slot's files goes through here, so the state events the registry mirrors
 * come from one place.
 */
import { rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { VerifyReport } from '../../../shared/api.js';
import type { CatalogSlotView, DownloadPhase, FileProgress, ReadinessReport, SlotDownloadProgress } from '../../../shared/artifacts.js';
import { MB } from '../../../shared/bytes.js';
import { ModelbayError, serializeError, toModelbayError, type SerializedError } from '../../../shared/errors.js';
import { SlotSourceSchema, type SlotSource } from '../../../shared/settings.js';
import { SLOT_IDS, isSlotId, type SlotId } from '../../../shared/slots.js';
import type { ArtifactState } from '../../../shared/state.js';
import type { SlotFiles } from '../runtime/session-factory.js';
import { hashFile, type BlobDigest } from './blob-hasher.js';
import { evictToLimit, removeSnapshotFiles, type SnapshotFileRef } from './cache-cleaner.js';
import { loadCatalog, slotModel, slotView, type Catalog, type CatalogFile, type SlotModel } from './catalog.js';
import type { DownloadedFile, DownloaderPort, FileProgressUpdate, FileRequest } from './downloader-port.js';
import { Downloader } from './downloader.js';
import { HubCacheLayout } from './hf-cache-layout.js';
import { cachedCommit, checkSlot, nodeMetadataFs, summarize, type FileCheck, type MetadataFs, type SlotCheck } from './readiness.js';
import type { ArtifactConfig, ArtifactEvent, ArtifactListener, ArtifactManager } from './types.js';
import { VerificationRecords } from './verification-records.js';

export interface ArtifactManagerOptions {
  config: ArtifactConfig;
  /** Modelbay's own state folder (verification records live here, not in the HF cache). */
  stateDir: string;
  catalogPath: string;
  sources?: Partial<Record<SlotId, SlotSource>>;
  /** Default: a Downloader built from `config`. */
  downloader?: DownloaderPort;
  now?: () => number;
  /** File metadata calls of readiness (tests count them). */
  metadataFs?: MetadataFs;
}

/** At most this many progress events per second per file (plus every phase change). */
const PROGRESS_INTERVAL_MS = 100;
const ACTIVE_PHASES: ReadonlySet<DownloadPhase> = new Set(['queued', 'resolving', 'downloading']);
const FINAL_PHASES: ReadonlySet<DownloadPhase> = new Set(['done', 'failed', 'cancelled', 'paused']);

interface Job {
  slot: SlotId;
  progress: SlotDownloadProgress;
  controller: AbortController | null;
  run: Promise<SlotDownloadProgress> | null;
  /** Why the running download was aborted: a pause keeps partial data, a cancel discards it. */
  stop: 'pause' | 'cancel' | 'close' | null;
  /** Bumped by cancel: a run queued before it must not start. */
  generation: number;
  lastEmit: Map<string, { at: number; phase: DownloadPhase }>;
}

/** Both digests of a whole cached file, read once; a file that shrinks meanwhile is a size problem. */
async function hashBlob(path: string): Promise<BlobDigest & { gitSha1: string }> {
  const { size } = await stat(path);
  try {
    const d = await hashFile(path, size, true);
    return { ...d, gitSha1: d.gitSha1 ?? '' };
  } catch (err) {
    throw new ModelbayError('EMB-E109', `${path} changed while it was being verified.`, { path, size }, { cause: err });
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

function idleProgress(slot: SlotId, phase: DownloadPhase): SlotDownloadProgress {
  return { slot, phase, bytes: 0, total: null, speedBps: 0, etaSeconds: null, files: [], error: null, retry: null };
}

function request(model: SlotModel, file: CatalogFile): FileRequest {
  return { repo: model.repo, revision: model.revision, path: file.path, sha256: file.sha256, size: file.size };
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
  private readonly listeners = new Set<ArtifactListener>();
  private readonly sources: Partial<Record<SlotId, SlotSource>>;
  private readonly jobs = new Map<SlotId, Job>();
  /** Download failures that left nothing on disk to show for them (gated, not found, network). */
  private readonly failures = new Map<SlotId, SerializedError>();
  private readonly checks = new Map<SlotId, SlotCheck>();
  private readonly lastStates = new Map<SlotId, ArtifactState>();
  private layout: HubCacheLayout;
  private closed = false;

  constructor(
    private config: ArtifactConfig,
    private readonly catalogEntries: Catalog,
    private readonly records: VerificationRecords,
    private readonly downloader: DownloaderPort,
    private readonly now: () => number,
    private readonly fs: MetadataFs,
    sources: Partial<Record<SlotId, SlotSource>>,
  ) {
    this.layout = new HubCacheLayout(config.cacheDir);
    this.sources = { ...sources };
  }

  on(listener: ArtifactListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ArtifactEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's bug must not break a download.
      }
    }
  }

  private activity(kind: 'download' | 'verify' | 'info' | 'error', slot: SlotId | null, message: string, code?: SerializedError['code']): void {
    this.emit({ type: 'activity', entry: code ? { kind, slot, message, code } : { kind, slot, message } });
  }

  configure(partial: Partial<ArtifactConfig>): void {
    const cacheChanged = partial.cacheDir !== undefined && partial.cacheDir !== this.config.cacheDir;
    this.config = { ...this.config, ...partial };
    if (cacheChanged) this.layout = new HubCacheLayout(this.config.cacheDir);
    const d: Parameters<DownloaderPort['configure']>[0] = {};
    if (partial.cacheDir !== undefined) d.cacheDir = partial.cacheDir;
    if (partial.endpoint !== undefined) d.endpoint = partial.endpoint;
    if (partial.token !== undefined) d.token = partial.token;
    if (partial.offline !== undefined) d.offline = partial.offline;
    if (partial.downloadConcurrency !== undefined) d.concurrency = partial.downloadConcurrency;
    if (Object.keys(d).length > 0) this.downloader.configure(d);
    if (cacheChanged) void this.readiness().catch(() => undefined);
  }

  // ── catalog ────────────────────────────────────────────────────────────────

  private model(slot: SlotId): SlotModel | null {
    return slotModel(this.catalogEntries[slot], this.sources[slot]);
  }

  private requireModel(slot: SlotId): SlotModel {
    if (!isSlotId(slot)) throw new ModelbayError('EMB-E001', `There is no slot "${String(slot)}".`, { slot });
    const m = this.model(slot);
    if (!m) throw new ModelbayError('EMB-E118', `${slot} has no model: choose a repository and file for it in the slot's settings.`, { slot });
    return m;
  }

  catalog(): CatalogSlotView[] {
    return SLOT_IDS.map((s) => slotView(this.catalogEntries[s], this.model(s)));
  }

  setSlotSource(slot: SlotId, source: SlotSource | null): CatalogSlotView {
    if (!isSlotId(slot)) throw new ModelbayError('EMB-E001', `There is no slot "${String(slot)}".`, { slot });
    if (this.running(slot)) throw new ModelbayError('EMB-E007', `${slot} is downloading: pause or cancel it before changing its model.`, { slot });
    if (source === null) {
      delete this.sources[slot];
    } else {
      const parsed = SlotSourceSchema.safeParse(source);
      if (!parsed.success) throw new ModelbayError('EMB-E002', `The model chosen for ${slot} is invalid: ${parsed.error.issues[0]?.message ?? 'invalid'}.`, { slot });
      // Build the model before keeping the source: a source that cannot become one is refused whole.
      slotModel(this.catalogEntries[slot], parsed.data);
      this.sources[slot] = parsed.data;
    }
    this.failures.delete(slot);
    this.jobs.delete(slot);
    this.checks.delete(slot);
    this.emit({ type: 'catalog', catalog: this.catalog() });
    void this.readiness().catch(() => undefined);
    return slotView(this.catalogEntries[slot], this.model(slot));
  }

  fileBytes(slot: SlotId): number | null {
    const m = this.model(slot);
    if (!m) return null;
    const onDisk = new Map((this.checks.get(slot)?.files ?? []).map((f) => [f.file.path, f.size]));
    let total = 0;
    for (const f of m.files) {
      if (f.role !== 'model' && f.role !== 'external-data') continue;
      const size = f.size ?? onDisk.get(f.path) ?? null;
      if (size === null) return null;
      total += size;
    }
    return total;
  }

  // ── readiness ──────────────────────────────────────────────────────────────

  private async check(slot: SlotId): Promise<SlotCheck> {
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

  private diskState(slot: SlotId): ArtifactState {
    const status = this.checks.get(slot)?.readiness.status;
    if (status === 'ready') return 'ready';
    if (status === 'failed') return 'failed';
    return 'missing';
  }

  private stateOf(slot: SlotId): ArtifactState {
    const job = this.jobs.get(slot);
    if (job && job.run && job.stop === null) {
      if (job.progress.phase === 'verifying') return 'verifying';
      if (ACTIVE_PHASES.has(job.progress.phase)) return 'downloading';
    }
    return this.diskState(slot);
  }

  /** Emits a state event when the slot's state differs from the last one published. */
  private publishState(slot: SlotId, force = false): void {
    const state = this.stateOf(slot);
    if (!force && this.lastStates.get(slot) === state) return;
    this.lastStates.set(slot, state);
    const r = this.checks.get(slot)?.readiness;
    const error: SerializedError | null = state === 'failed'
      ? (this.failures.get(slot) ?? (r?.code ? { code: r.code, message: r.reason ?? 'failed', details: { slot } } : null))
      : null;
    this.emit({ type: 'state', slot, state, error });
  }

  states(): Record<SlotId, ArtifactState> {
    const out = {} as Record<SlotId, ArtifactState>;
    for (const s of SLOT_IDS) out[s] = this.stateOf(s);
    return out;
  }

  // ── downloads ──────────────────────────────────────────────────────────────

  private running(slot: SlotId): boolean {
    const j = this.jobs.get(slot);
    // Between its last event and the settling of its promise a run is over in all but name.
    return !!j?.run && j.stop === null && !FINAL_PHASES.has(j.progress.phase);
  }

  private job(slot: SlotId): Job {
    let j = this.jobs.get(slot);
    if (!j) {
      j = { slot, progress: idleProgress(slot, 'queued'), controller: null, run: null, stop: null, generation: 0, lastEmit: new Map() };
      this.jobs.set(slot, j);
    }
    return j;
  }

  private aggregate(job: Job): void {
    const p = job.progress;
    const files = p.files;
    p.bytes = files.reduce((s, f) => s + f.bytes, 0);
    p.total = files.length > 0 && files.every((f) => f.total !== null) ? files.reduce((s, f) => s + (f.total ?? 0), 0) : null;
    p.speedBps = files.filter((f) => f.phase === 'downloading').reduce((s, f) => s + f.speedBps, 0);
    p.etaSeconds = p.total !== null && p.speedBps > 0 ? Math.max(0, (p.total - p.bytes) / p.speedBps) : null;
    p.retry = files.find((f) => f.retry !== null)?.retry ?? null;
  }

  private emitProgress(job: Job): void {
    this.aggregate(job);
    this.emit({ type: 'progress', progress: structuredClone(job.progress) });
  }

  private setPhase(job: Job, phase: DownloadPhase, error: SerializedError | null = null): void {
    job.progress.phase = phase;
    job.progress.error = error;
    this.emitProgress(job);
    this.publishState(job.slot);
  }

  private onFileProgress(job: Job, file: FileProgress, u: FileProgressUpdate): void {
    if (job.stop !== null) return;
    // A retry beginning or ending is news the throttle must not swallow.
    const phaseChanged = file.phase !== u.phase || file.retry?.attempt !== u.retry?.attempt;
    Object.assign(file, { phase: u.phase, bytes: u.bytes, total: u.total, speedBps: u.speedBps, etaSeconds: u.etaSeconds, retry: u.retry });
    const now = this.now();
    const last = job.lastEmit.get(file.file);
    if (!phaseChanged && last && now - last.at < PROGRESS_INTERVAL_MS) return;
    job.lastEmit.set(file.file, { at: now, phase: u.phase });
    if (job.progress.phase === 'queued' || job.progress.phase === 'resolving') job.progress.phase = 'downloading';
    this.emitProgress(job);
    this.publishState(job.slot);
  }

  /** Starts a download run after any previous one has wound down. */
  private launch(job: Job, model: SlotModel): Promise<SlotDownloadProgress> {
    const prev = job.run ?? Promise.resolve(job.progress);
    const generation = job.generation;
    // job.stop stays as it is until the previous run has read it to settle.
    const run = prev.then(() => undefined, () => undefined).then(() => this.execute(job, model, generation));
    job.run = run;
    void run.then(
      () => { if (job.run === run) job.run = null; },
      () => { if (job.run === run) job.run = null; },
    );
    return run;
  }

  /** Deletes files that verification or readiness found corrupt, so the download fetches them anew. */
  private async dropDamaged(model: SlotModel, files: FileCheck[]): Promise<void> {
    for (const f of files) {
      if (!f.problem || !f.snapshotPath) continue;
      if (f.blobPath && f.blobPath !== f.snapshotPath && dirname(f.blobPath) === this.layout.blobsDir(model.repo)) {
        await rm(f.blobPath, { force: true });
      }
      await rm(f.snapshotPath, { force: true });
      if (f.blobPath) this.records.delete(f.blobPath);
    }
  }

  private async execute(job: Job, model: SlotModel, generation: number): Promise<SlotDownloadProgress> {
    const slot = job.slot;
    if (this.closed) throw new ModelbayError('EMB-E114', 'Modelbay is shutting down.', { slot });
    if (generation !== job.generation) return structuredClone(job.progress);
    job.stop = null;
    job.controller = new AbortController();
    job.lastEmit.clear();
    this.failures.delete(slot);
    job.progress = { ...idleProgress(slot, 'resolving'), files: model.files.map((f) => ({ slot, file: f.path, phase: 'queued', bytes: 0, total: f.size, speedBps: 0, etaSeconds: null, error: null, retry: null })) };
    this.setPhase(job, 'resolving');
    const signal = job.controller.signal;
    try {
      const before = await this.check(slot);
      await this.dropDamaged(model, before.files);
      const todo: Array<{ file: CatalogFile; progress: FileProgress }> = [];
      before.files.forEach((fc, i) => {
        const progress = job.progress.files[i];
        if (!progress) return;
        if (fc.present && fc.verified && !fc.problem) {
          Object.assign(progress, { phase: 'done', bytes: fc.size ?? 0, total: fc.size });
        } else {
          todo.push({ file: fc.file, progress });
        }
      });
      const results = await this.fetchAll(job, model, todo, signal);
      this.setPhase(job, 'verifying');
      try {
        for (const d of results) await this.record(d);
      } finally {
        await this.records.flush();
      }
      const after = await this.check(slot);
      if (after.readiness.status !== 'ready') {
        throw new ModelbayError(after.readiness.code ?? 'EMB-E101', after.readiness.reason ?? `${slot}'s files are not complete after the download.`, { slot });
      }
      for (const f of job.progress.files) Object.assign(f, { phase: 'done', speedBps: 0, etaSeconds: null, retry: null });
      job.controller = null;
      this.setPhase(job, 'done');
      const bytes = after.files.reduce((s, f) => s + (f.size ?? 0), 0);
      const fetched = results.filter((r) => !r.reused).length;
      this.activity('download', slot, fetched > 0 ? `${slot} downloaded and verified (${megabytes(bytes)})` : `${slot} is ready (${megabytes(bytes)}, already in the cache)`);
      this.emitReadiness();
      return structuredClone(job.progress);
    } catch (err) {
      job.controller = null;
      return this.settleFailure(job, model, err);
    }
  }

  private async fetchAll(job: Job, model: SlotModel, todo: Array<{ file: CatalogFile; progress: FileProgress }>, signal: AbortSignal): Promise<DownloadedFile[]> {
    // One failed file stops its siblings (their partial data stays for a retry).
    const siblings = new AbortController();
    if (signal.aborted) throw new ModelbayError('EMB-E114', `${job.slot}'s download was stopped.`, { slot: job.slot });
    const onAbort = (): void => siblings.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let firstError: unknown = null;
    try {
      const settled = await Promise.allSettled(todo.map(async ({ file, progress }) => {
        try {
          return await this.downloader.download(request(model, file), {
            signal: siblings.signal,
            onProgress: (u) => this.onFileProgress(job, progress, u),
          });
        } catch (err) {
          if (firstError === null && !signal.aborted) {
            firstError = err;
            progress.phase = 'failed';
            progress.error = serializeError(err);
            siblings.abort();
          } else {
            progress.phase = 'paused';
          }
          throw err;
        }
      }));
      if (firstError !== null) throw toModelbayError(firstError);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw toModelbayError(failed.reason);
      return settled.map((s) => (s as PromiseFulfilledResult<DownloadedFile>).value);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async record(d: DownloadedFile): Promise<void> {
    const st = await stat(d.blobPath);
    let sha256 = d.sha256;
    // The downloader trusts an LFS blob already in the cache by its name (Python's
    // huggingface_hub checks sizes only), so one we never hashed is hashed here.
    if (d.reused && /^[0-9a-f]{64}$/.test(d.etag) && this.records.current(d.blobPath, st.size, st.mtimeMs)?.ok !== true) {
      sha256 = (await hashBlob(d.blobPath)).sha256;
      if (sha256 !== d.sha256) {
        this.records.set(d.blobPath, { size: st.size, mtimeMs: st.mtimeMs, sha256, ok: false, verifiedAt: this.now() });
        throw new ModelbayError('EMB-E108', `${d.path} in the cache does not match its checksum: download the slot again to replace it.`, { path: d.path, expected: d.sha256, actual: sha256 });
      }
    }
    this.records.set(d.blobPath, { size: st.size, mtimeMs: st.mtimeMs, sha256, ok: true, verifiedAt: this.now() });
  }

  private async settleFailure(job: Job, model: SlotModel, err: unknown): Promise<SlotDownloadProgress> {
    const slot = job.slot;
    if (job.stop === 'pause' || job.stop === 'close') {
      for (const f of job.progress.files) if (f.phase !== 'done') Object.assign(f, { phase: 'paused', speedBps: 0, etaSeconds: null, retry: null });
      this.setPhase(job, 'paused');
      this.publishState(slot);
      return structuredClone(job.progress);
    }
    if (job.stop === 'cancel') {
      await this.discard(model);
      this.finishCancel(job);
      return structuredClone(job.progress);
    }
    const e = toModelbayError(err);
    const serialized = e.toJSON();
    this.failures.set(slot, serialized);
    await this.check(slot);
    this.setPhase(job, 'failed', serialized);
    this.publishState(slot, true);
    this.activity('error', slot, `${slot} download failed: ${e.message}`, e.code);
    this.emitReadiness();
    throw e;
  }

  private finishCancel(job: Job): void {
    for (const f of job.progress.files) Object.assign(f, { phase: f.phase === 'done' ? 'done' : 'cancelled', bytes: f.phase === 'done' ? f.bytes : 0, speedBps: 0, etaSeconds: null, retry: null });
    this.setPhase(job, 'cancelled');
    this.publishState(job.slot, true);
    this.activity('download', job.slot, `${job.slot} download cancelled`);
  }

  private async discard(model: SlotModel): Promise<void> {
    for (const f of model.files) await this.downloader.discardPartial(request(model, f)).catch(() => undefined);
  }

  private emitReadiness(): void {
    const slots = SLOT_IDS.map((s) => this.checks.get(s)?.readiness).filter((r) => r !== undefined);
    if (slots.length === SLOT_IDS.length) this.emit({ type: 'readiness', report: summarize(slots, this.now(), 0) });
  }

  async download(slot: SlotId): Promise<SlotDownloadProgress> {
    const model = this.requireModel(slot);
    if (this.closed) throw new ModelbayError('EMB-E114', 'Modelbay is shutting down.', { slot });
    const job = this.job(slot);
    const run = job.run && job.stop === null ? job.run : this.launch(job, model);
    const result = await run;
    if (result.phase === 'cancelled') throw new ModelbayError('EMB-E114', `${slot}'s download was cancelled.`, { slot });
    return result;
  }

  async downloadAll(): Promise<Array<{ slot: SlotId; ok: boolean; error?: SerializedError }>> {
    await this.readiness();
    return Promise.all(SLOT_IDS.map(async (slot) => {
      if (!this.model(slot)) {
        return { slot, ok: false, error: new ModelbayError('EMB-E118', `${slot} has no model: skipped.`, { slot, skipped: 'no-model' }).toJSON() };
      }
      if (this.checks.get(slot)?.readiness.status === 'ready') return { slot, ok: true };
      try {
        const p = await this.download(slot);
        if (p.phase === 'paused') return { slot, ok: false, error: new ModelbayError('EMB-E114', `${slot} was paused.`, { slot, paused: true }).toJSON() };
        return { slot, ok: true };
      } catch (err) {
        return { slot, ok: false, error: serializeError(err) };
      }
    }));
  }

  pause(slot: SlotId): SlotDownloadProgress {
    this.requireModel(slot);
    const job = this.jobs.get(slot);
    if (!job) return idleProgress(slot, this.stateOf(slot) === 'ready' ? 'done' : 'queued');
    if (this.running(slot) && job.progress.phase !== 'verifying') {
      job.stop = 'pause';
      job.controller?.abort();
      for (const f of job.progress.files) if (f.phase !== 'done') Object.assign(f, { phase: 'paused', speedBps: 0, etaSeconds: null, retry: null });
      this.setPhase(job, 'paused');
      this.activity('download', slot, `${slot} download paused`);
    }
    return structuredClone(job.progress);
  }

  resume(slot: SlotId): SlotDownloadProgress {
    const model = this.requireModel(slot);
    const job = this.job(slot);
    if (!this.running(slot)) {
      job.progress = { ...job.progress, phase: 'queued', error: null };
      // The caller follows progress events; the outcome also shows as state and activity.
      void this.launch(job, model).catch(() => undefined);
      this.emitProgress(job);
    }
    return structuredClone(job.progress);
  }

  cancel(slot: SlotId): SlotDownloadProgress {
    const model = this.requireModel(slot);
    const job = this.job(slot);
    if (!this.running(slot) && this.diskState(slot) === 'ready') return structuredClone(job.progress);
    job.generation++;
    if (this.running(slot)) {
      job.stop = 'cancel';
      job.controller?.abort();
    } else {
      // Paused or idle: nothing runs, so discard the partial data after anything winding down.
      const prev = job.run ?? Promise.resolve(job.progress);
      // A run still winding down from a pause must settle as paused, not cancel twice.
      job.stop ??= 'cancel';
      const run = prev.then(() => undefined, () => undefined).then(async () => {
        await this.discard(model);
        this.finishCancel(job);
        return structuredClone(job.progress);
      });
      job.run = run;
      void run.then(() => { if (job.run === run) job.run = null; }, () => { if (job.run === run) job.run = null; });
    }
    job.progress.phase = 'cancelled';
    return structuredClone(job.progress);
  }

  progress(): SlotDownloadProgress[] {
    return [...this.jobs.values()].map((j) => { this.aggregate(j); return structuredClone(j.progress); });
  }

  // ── verification ───────────────────────────────────────────────────────────

  async verify(slot: SlotId): Promise<VerifyReport> {
    this.requireModel(slot);
    if (this.running(slot)) throw new ModelbayError('EMB-E007', `${slot} is downloading: verify it when the download is done.`, { slot });
    const before = await this.check(slot);
    this.lastStates.set(slot, 'verifying');
    this.emit({ type: 'state', slot, state: 'verifying', error: null });
    const files: VerifyReport['files'] = [];
    for (const f of before.files) {
      if (!f.present || !f.blobPath) {
        files.push({ path: f.file.path, ok: false, expected: f.file.sha256, actual: null, reason: 'missing from the cache' });
        continue;
      }
      let h;
      try {
        h = await hashBlob(f.blobPath);
      } catch (err) {
        // The file vanished or changed under us: say where the slot stands now.
        await this.check(slot);
        this.publishState(slot, true);
        throw err;
      }
      const etag = f.blobPath !== f.snapshotPath ? basename(f.blobPath) : '';
      let expected: string | null = null;
      let actual: string | null = h.sha256;
      let by = '';
      if (f.file.sha256) {
        expected = f.file.sha256;
        by = 'the catalog';
      } else if (/^[0-9a-f]{64}$/.test(etag)) {
        expected = etag;
        by = 'the Hub (LFS sha256)';
      } else if (/^[0-9a-f]{40}$/.test(etag)) {
        expected = etag;
        actual = h.gitSha1;
        by = 'the Hub (git blob sha1)';
      }
      const sizeOk = f.file.size === null || f.file.size === h.size;
      const ok = sizeOk && (expected === null || expected === actual);
      const reason = !sizeOk
        ? `size ${h.size} B, expected ${f.file.size} B`
        : expected === null
          ? 'no reference checksum known: hashed only'
          : ok ? null : `checksum differs from ${by}`;
      files.push({ path: f.file.path, ok, expected, actual, reason });
      const st = await stat(f.blobPath);
      this.records.set(f.blobPath, { size: st.size, mtimeMs: st.mtimeMs, sha256: h.sha256, ok, verifiedAt: this.now() });
    }
    await this.records.flush();
    this.failures.delete(slot);
    const after = await this.check(slot);
    const bad = files.filter((f) => !f.ok && f.actual !== null);
    const ok = files.every((f) => f.ok);
    if (bad.length > 0) {
      const error = new ModelbayError('EMB-E108', `${slot}: ${bad.map((f) => f.path).join(', ')} failed verification (${bad[0]?.reason ?? 'checksum mismatch'}); download the slot again to replace ${bad.length === 1 ? 'it' : 'them'}.`, { slot, files: bad.map((f) => f.path) });
      this.lastStates.set(slot, 'failed');
      this.emit({ type: 'state', slot, state: 'failed', error: error.toJSON() });
      this.activity('verify', slot, `${slot} failed verification: ${bad.map((f) => f.path).join(', ')}`, 'EMB-E108');
    } else {
      this.publishState(slot, true);
      const bytes = after.files.reduce((s, f) => s + (f.size ?? 0), 0);
      this.activity('verify', slot, ok ? `${slot} verified (${files.length} files, ${megabytes(bytes)})` : `${slot} verification incomplete: ${files.filter((f) => !f.ok).map((f) => f.path).join(', ')} missing`);
    }
    this.emitReadiness();
    return { slot, ok, files };
  }

  // ── cache ──────────────────────────────────────────────────────────────────

  /** Every snapshot entry a slot may have written: all catalog variants and the user's source. */
  private async slotEntries(slot: SlotId, onlyCurrent: boolean): Promise<SnapshotFileRef[]> {
    const models: Array<{ repo: string; revision: string; files: CatalogFile[] }> = [];
    const current = this.model(slot);
    if (current) models.push(current);
    const entry = this.catalogEntries[slot];
    if (!onlyCurrent && entry.repo && entry.revision) {
      for (const v of Object.values(entry.variants)) models.push({ repo: entry.repo, revision: entry.revision, files: v.files });
    }
    const out: SnapshotFileRef[] = [];
    for (const m of models) {
      const commit = await cachedCommit(this.layout, m.repo, m.revision, this.fs);
      if (!commit) continue;
      for (const f of m.files) out.push({ repo: m.repo, commit, path: f.path });
    }
    return out;
  }

  private key(r: SnapshotFileRef): string {
    return `${r.repo}\n${r.commit}\n${r.path}`;
  }

  private async clearSlots(slots: SlotId[]): Promise<ReadinessReport> {
    const busy = slots.filter((s) => this.running(s));
    if (busy.length > 0) throw new ModelbayError('EMB-E007', `${busy.join(', ')} ${busy.length === 1 ? 'is' : 'are'} downloading: pause or cancel first.`, { slots: busy });
    const chosen = new Set(slots);
    const keep = new Map<string, SlotId[]>();
    for (const other of SLOT_IDS) {
      if (chosen.has(other)) continue;
      for (const r of await this.slotEntries(other, true)) keep.set(this.key(r), [...(keep.get(this.key(r)) ?? []), other]);
    }
    const remove = new Map<string, SnapshotFileRef>();
    const sharedWith = new Map<SlotId, Set<SlotId>>();
    for (const s of slots) {
      for (const r of await this.slotEntries(s, false)) {
        const users = keep.get(this.key(r));
        if (users) {
          const set = sharedWith.get(s) ?? new Set<SlotId>();
          users.forEach((u) => set.add(u));
          sharedWith.set(s, set);
          continue;
        }
        remove.set(this.key(r), r);
      }
    }
    const result = await removeSnapshotFiles(this.layout, [...remove.values()]);
    // Partial downloads of the cleared files would otherwise linger in blobs/ unseen
    // (a partial exists before any snapshot does, so match by revision, not commit).
    const keptRequests = new Set(SLOT_IDS.filter((o) => !chosen.has(o)).flatMap((o) => {
      const m = this.model(o);
      return m ? m.files.map((f) => `${m.repo}\n${m.revision}\n${f.path}`) : [];
    }));
    for (const s of slots) {
      const m = this.model(s);
      for (const f of m?.files ?? []) {
        if (m && !keptRequests.has(`${m.repo}\n${m.revision}\n${f.path}`)) await this.downloader.discardPartial(request(m, f)).catch(() => undefined);
      }
    }
    for (const b of result.removed) this.records.delete(b);
    await this.records.flush();
    for (const s of slots) {
      this.failures.delete(s);
      const j = this.jobs.get(s);
      if (j && !j.run) this.jobs.delete(s);
    }
    const report = await this.readiness();
    const names = slots.length === SLOT_IDS.length ? 'All slots' : slots.join(', ');
    let message = `${names} cleared (${megabytes(result.removedBytes)} freed)`;
    const shared = [...sharedWith].map(([s, users]) => `${s} shares files with ${[...users].join(', ')}`);
    if (shared.length > 0) message += `; kept: ${shared.join('; ')}`;
    this.activity('info', slots.length === 1 ? (slots[0] ?? null) : null, message);
    return report;
  }

  clear(slot: SlotId): Promise<ReadinessReport> {
    if (!isSlotId(slot)) return Promise.reject(new ModelbayError('EMB-E001', `There is no slot "${String(slot)}".`, { slot }));
    return this.clearSlots([slot]);
  }

  clearAll(): Promise<ReadinessReport> {
    return this.clearSlots([...SLOT_IDS]);
  }

  async enforceCacheLimit(protectedSlots: ReadonlySet<SlotId>): Promise<{ removedBytes: number; removed: string[] }> {
    const limit = this.config.cacheLimitBytes;
    if (limit === null) return { removedBytes: 0, removed: [] };
    const entries: string[] = [];
    const protectedEntries: string[] = [];
    for (const s of SLOT_IDS) {
      // A slot that is downloading is in use as surely as a loaded one.
      const guarded = protectedSlots.has(s) || this.running(s);
      for (const r of await this.slotEntries(s, false)) {
        (guarded ? protectedEntries : entries).push(this.layout.snapshotPath(r.repo, r.commit, r.path));
      }
    }
    const result = await evictToLimit(this.layout, limit, { entries, protectedEntries, lastUsed: (b) => this.records.lastUsed(b) });
    if (result.removed.length === 0) return { removedBytes: 0, removed: [] };
    for (const b of result.removed) this.records.delete(b);
    await this.records.flush();
    await this.readiness();
    this.activity('info', null, `Cache limit: removed ${result.removed.length} least recently used file${result.removed.length === 1 ? '' : 's'} (${megabytes(result.removedBytes)})`);
    return { removedBytes: result.removedBytes, removed: result.removed };
  }

  // ── the registry's and the runtime's side ──────────────────────────────────

  async prepare(slot: SlotId, signal: AbortSignal, autoDownload: boolean): Promise<void> {
    this.requireModel(slot);
    const c = await this.check(slot);
    this.publishState(slot);
    if (c.readiness.status === 'ready') return;
    if (!autoDownload) {
      throw new ModelbayError('EMB-E101', `${slot}'s model files are ${c.readiness.status}: ${c.readiness.reason ?? 'download them first'} Download the slot (or turn on auto-download).`, { slot, status: c.readiness.status, cause: c.readiness.code });
    }
    const p = await abortable(this.download(slot), signal, slot);
    if (p.phase !== 'done') throw new ModelbayError('EMB-E114', `${slot}'s download was ${p.phase}: its files are not ready.`, { slot, phase: p.phase });
  }

  async resolveFiles(slot: SlotId, signal: AbortSignal): Promise<SlotFiles> {
    this.requireModel(slot);
    if (signal.aborted) throw new ModelbayError('EMB-E114', `Resolving ${slot}'s files was cancelled.`, { slot });
    const c = await this.check(slot);
    if (c.readiness.status !== 'ready') {
      throw new ModelbayError('EMB-E101', `${slot}'s model files are ${c.readiness.status}: ${c.readiness.reason ?? 'download them first.'}`, { slot, status: c.readiness.status });
    }
    const at = this.now();
    const pathOf = (f: FileCheck): string => {
      if (!f.snapshotPath) throw new ModelbayError('EMB-E101', `${slot}: ${f.file.path} is missing.`, { slot });
      if (f.blobPath) this.records.touch(f.blobPath, at);
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
    void this.records.flush().catch(() => undefined);
    return files;
  }

  async close(): Promise<void> {
    this.closed = true;
    const runs: Promise<unknown>[] = [];
    for (const job of this.jobs.values()) {
      if (!job.run) continue;
      if (job.stop === null) {
        job.stop = 'close';
        job.controller?.abort();
      }
      runs.push(job.run.catch(() => undefined));
    }
    await Promise.all(runs);
    await this.records.flush().catch(() => undefined);
    this.listeners.clear();
  }
}

export async function createArtifactManager(options: ArtifactManagerOptions): Promise<ArtifactManager> {
  const catalog = await loadCatalog(options.catalogPath);
  const records = new VerificationRecords(join(options.stateDir, 'verifications.json'));
  await records.load();
  const downloader = options.downloader ?? defaultDownloader(options.config);
  downloader.configure({ cacheDir: options.config.cacheDir, endpoint: options.config.endpoint, token: options.config.token, offline: options.config.offline, concurrency: options.config.downloadConcurrency });
  const manager = new HubArtifactManager(options.config, catalog, records, downloader, options.now ?? Date.now, options.metadataFs ?? nodeMetadataFs, options.sources ?? {});
  await manager.readiness();
  return manager;
}

function defaultDownloader(config: ArtifactConfig): DownloaderPort {
  return new Downloader({ cacheDir: config.cacheDir, endpoint: config.endpoint, token: config.token, offline: config.offline, concurrency: config.downloadConcurrency });
}
