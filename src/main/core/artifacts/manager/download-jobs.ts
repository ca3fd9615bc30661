/**
 * Download runs per slot: launch (after any previous run has wound down), pause (partial
 * data kept), resume, cancel (partial data discarded), progress at most 10 events per
 * second per file, and the verification records of what arrived. Every download goes
 * through here: a slot's own files, and another commit of them (an update, a restore),
 * which arrives beside the slot's files under the same controls and limits.
 */
import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DownloadPhase, FileProgress, RevisionDownload, SlotDownloadProgress } from '../../../../shared/artifacts/artifacts.js';
import { ModelbayError, serializeError, toModelbayError, type SerializedError } from '../../../../shared/errors/errors.js';
import { SLOT_IDS, type SlotId } from '../../../../shared/slots/slots.js';
import { downloadSentence } from '../../../../shared/slots/state-words.js';
import { SHA256_RE } from '../../../../shared/values/values.js';
import { hashBlob } from '../transfer/blob-hasher.js';
import type { CatalogFile, SlotModel } from './catalog.js';
import { runningSlotPhase, stopFiles } from './download-phase.js';
import type { DownloadedFile, FileProgressUpdate } from '../transfer/downloader.js';
import { idleProgress, megabytes, PROGRESS_INTERVAL_MS, request, type Job, type ManagerState } from './manager-state.js';
import { checkSlot, type FileCheck, type SlotCheck } from './readiness.js';
import { settledWithin } from '../../async/timers.js';
import { permissionDenied } from '../hub/transfer-errors.js';

export class DownloadJobs {
  constructor(private readonly s: ManagerState) {}

  job(slot: SlotId): Job {
    let j = this.s.jobs.get(slot);
    if (!j) {
      j = { slot, progress: idleProgress(slot, 'queued'), controller: null, run: null, stop: null, generation: 0, lastEmit: new Map(), target: null };
      this.s.jobs.set(slot, j);
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

  emitProgress(job: Job): void {
    this.aggregate(job);
    this.s.emit({ type: 'progress', progress: structuredClone(job.progress) });
  }

  private setPhase(job: Job, phase: DownloadPhase, error: SerializedError | null = null): void {
    job.progress.phase = phase;
    job.progress.error = error;
    this.emitProgress(job);
    this.s.publishState(job.slot);
  }

  private onFileProgress(job: Job, file: FileProgress, u: FileProgressUpdate): void {
    if (job.stop !== null) return;
    // A retry beginning or ending is news the throttle must not swallow.
    const phaseChanged = file.phase !== u.phase || file.retry?.attempt !== u.retry?.attempt;
    Object.assign(file, { phase: u.phase, bytes: u.bytes, total: u.total, speedBps: u.speedBps, etaSeconds: u.etaSeconds, retry: u.retry });
    const now = this.s.now();
    const last = job.lastEmit.get(file.file);
    if (!phaseChanged && last && now - last.at < PROGRESS_INTERVAL_MS) return;
    job.lastEmit.set(file.file, { at: now, phase: u.phase });
    job.progress.phase = runningSlotPhase(job.progress.phase, job.progress.files);
    this.emitProgress(job);
    this.s.publishState(job.slot);
  }

  /** Starts a download run after any previous one has wound down. */
  private launch(job: Job, model: SlotModel): Promise<SlotDownloadProgress> {
    const prev = job.run ?? Promise.resolve(job.progress);
    const generation = job.generation;
    // job.stop stays as it is until the previous run has read it to settle.
    const run = prev.then(() => undefined, () => undefined).then(() => this.execute(job, model, generation));
    this.follow(job, run);
    return run;
  }

  /** Keeps `run` as the job's run until it settles, then tells a waiting revision download how it ended (a pause is no end). */
  private follow(job: Job, run: Promise<SlotDownloadProgress>): void {
    job.run = run;
    const settled = (error: unknown): void => {
      if (job.run === run) job.run = null;
      const target = job.target;
      if (!target) return;
      if (error !== null) target.reject(error);
      else if (job.progress.phase === 'done') target.resolve(structuredClone(job.progress));
      else if (job.progress.phase === 'cancelled') target.reject(new ModelbayError('EMB-E114', `${job.slot}'s download of ${target.revision.to.slice(0, 12)} was cancelled.`, { slot: job.slot, cancelled: true }));
      else return;
      job.target = null;
    };
    void run.then(() => settled(null), (e: unknown) => settled(e));
  }

  /** What this run fetches: the slot's own files, or another commit of them. */
  private what(job: Job): string {
    return job.target ? `${job.slot}'s ${job.target.revision.kind} to ${job.target.revision.to.slice(0, 12)}` : job.slot;
  }

  /** The files of the run's model as the cache holds them; a revision download's check is its own, never the slot's. */
  private checkRun(job: Job, model: SlotModel): Promise<SlotCheck> {
    return job.target ? checkSlot(job.slot, model, this.s.layout, this.s.records, this.s.fs) : this.s.check(job.slot);
  }

  /** Deletes files that verification or readiness found corrupt, so the download fetches them anew. */
  private async dropDamaged(model: SlotModel, files: FileCheck[]): Promise<void> {
    for (const f of files) {
      if (!f.problem || !f.snapshotPath) continue;
      if (f.blobPath && f.blobPath !== f.snapshotPath && dirname(f.blobPath) === this.s.layout.blobsDir(model.repo)) {
        await rm(f.blobPath, { force: true });
      }
      await rm(f.snapshotPath, { force: true });
      if (f.blobPath) this.s.records.delete(f.blobPath);
    }
  }

  private async execute(job: Job, model: SlotModel, generation: number): Promise<SlotDownloadProgress> {
    const slot = job.slot;
    if (this.s.closed) throw new ModelbayError('EMB-E114', 'Modelbay is shutting down.', { slot });
    if (generation !== job.generation) return structuredClone(job.progress);
    job.stop = null;
    job.controller = new AbortController();
    job.lastEmit.clear();
    if (!job.target) this.s.failures.delete(slot);
    job.progress = {
      ...idleProgress(slot, 'resolving'),
      files: model.files.map((f) => ({ slot, file: f.path, phase: 'queued', bytes: 0, total: f.size, speedBps: 0, etaSeconds: null, error: null, retry: null })),
      ...(job.target ? { revision: { ...job.target.revision } } : {}),
    };
    this.setPhase(job, 'resolving');
    const signal = job.controller.signal;
    try {
      const before = await this.checkRun(job, model);
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
        await this.s.records.flush();
      }
      const after = await this.checkRun(job, model);
      if (after.readiness.status !== 'ready') {
        throw new ModelbayError(after.readiness.code ?? 'EMB-E101', after.readiness.reason ?? `${this.what(job)}: the files are not complete after the download.`, { slot });
      }
      for (const f of job.progress.files) Object.assign(f, { phase: 'done', speedBps: 0, etaSeconds: null, retry: null });
      job.controller = null;
      this.setPhase(job, 'done');
      const bytes = after.files.reduce((s, f) => s + (f.size ?? 0), 0);
      const fetched = results.filter((r) => !r.reused).length;
      this.s.activity('download', slot, fetched > 0 ? `${this.what(job)} downloaded and verified (${megabytes(bytes)})` : `${this.what(job)} is ready (${megabytes(bytes)}, already in the cache)`);
      this.s.emitReadiness();
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
          return await this.s.downloader.download(request(model, file), {
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
    if (d.reused && SHA256_RE.test(d.etag) && this.s.records.current(d.blobPath, st.size, st.mtimeMs)?.ok !== true) {
      sha256 = (await hashBlob(d.blobPath)).sha256;
      if (sha256 !== d.sha256) {
        this.s.records.set(d.blobPath, { size: st.size, mtimeMs: st.mtimeMs, sha256, ok: false, verifiedAt: this.s.now() });
        throw new ModelbayError('EMB-E108', `${d.path} in the cache does not match its checksum: download the slot again to replace it.`, { path: d.path, expected: d.sha256, actual: sha256 });
      }
    }
    this.s.records.set(d.blobPath, { size: st.size, mtimeMs: st.mtimeMs, sha256, ok: true, verifiedAt: this.s.now() });
  }

  private async settleFailure(job: Job, model: SlotModel, err: unknown): Promise<SlotDownloadProgress> {
    const slot = job.slot;
    if (job.stop === 'pause' || job.stop === 'close') {
      for (const f of job.progress.files) if (f.phase !== 'done') Object.assign(f, { phase: 'paused', speedBps: 0, etaSeconds: null, retry: null });
      this.setPhase(job, 'paused');
      this.s.publishState(slot);
      return structuredClone(job.progress);
    }
    if (job.stop === 'cancel') {
      await this.discard(model);
      this.finishCancel(job);
      return structuredClone(job.progress);
    }
    const e = permissionDenied(err, this.s.config.cacheDir) ?? toModelbayError(err);
    const serialized = e.toJSON();
    stopFiles(job.progress.files, 'failed');
    if (job.target) {
      // The slot's own files are untouched: only this download failed, not the slot.
      this.setPhase(job, 'failed', serialized);
      this.s.activity('error', slot, `${this.what(job)} failed: ${e.message}`, e.code);
      throw e;
    }
    this.s.failures.set(slot, serialized);
    await this.s.check(slot);
    this.setPhase(job, 'failed', serialized);
    this.s.publishState(slot, true);
    this.s.activity('error', slot, `${slot} download failed: ${e.message}`, e.code);
    this.s.emitReadiness();
    throw e;
  }

  private finishCancel(job: Job): void {
    for (const f of job.progress.files) Object.assign(f, { phase: f.phase === 'done' ? 'done' : 'cancelled', bytes: f.phase === 'done' ? f.bytes : 0, speedBps: 0, etaSeconds: null, retry: null });
    this.setPhase(job, 'cancelled');
    this.s.publishState(job.slot, true);
    this.s.activity('download', job.slot, `${job.target ? this.what(job) : `${job.slot} download`} cancelled`);
  }

  private async discard(model: SlotModel): Promise<void> {
    for (const f of model.files) await this.s.downloader.discardPartial(request(model, f)).catch(() => undefined);
  }

  async download(slot: SlotId): Promise<SlotDownloadProgress> {
    const model = this.s.requireModel(slot);
    if (this.s.closed) throw new ModelbayError('EMB-E114', 'Modelbay is shutting down.', { slot });
    const job = this.job(slot);
    if (job.target) throw this.revisionBusy(job);
    const run = job.run && job.stop === null ? job.run : this.launch(job, model);
    const result = await run;
    if (result.phase === 'cancelled') throw new ModelbayError('EMB-E114', downloadSentence(slot, result.phase), { slot });
    return result;
  }

  /**
   * Downloads and verifies `revision.to` of the slot's files beside the ones it uses (by
   * commit id, so refs/<branch> and the slot's files stay as they are). Resolves once every
   * file is verified; a pause keeps it waiting for resume; cancel, failure or shutdown reject.
   */
  downloadRevision(slot: SlotId, revision: RevisionDownload, files?: CatalogFile[]): Promise<SlotDownloadProgress> {
    const current = this.s.requireModel(slot);
    if (this.s.closed) return Promise.reject(new ModelbayError('EMB-E114', 'Modelbay is shutting down.', { slot }));
    const job = this.job(slot);
    if (job.target) return Promise.reject(this.revisionBusy(job));
    if (this.s.running(slot)) return Promise.reject(new ModelbayError('EMB-E007', `${slot} is downloading: let it finish, or pause or cancel it first.`, { slot }));
    // Pins of the slot's own commit say nothing of another one's files.
    const model: SlotModel = { ...current, revision: revision.to, files: files ?? current.files.map((f) => ({ ...f, sha256: null, size: null })) };
    return new Promise<SlotDownloadProgress>((resolve, reject) => {
      job.target = { model, revision, resolve, reject };
      job.generation++;
      job.stop = null;
      // The outcome reaches the caller through the target; the run's own rejection is that outcome.
      this.launch(job, model).catch(() => undefined);
    });
  }

  private revisionBusy(job: Job): ModelbayError {
    const t = job.target;
    return new ModelbayError('EMB-E007', `${job.slot} is fetching ${t ? `its ${t.revision.kind} (${t.revision.to.slice(0, 12)})` : 'another revision'}: resume or cancel it first.`, { slot: job.slot, revision: t?.revision.to ?? null });
  }

  async downloadAll(): Promise<Array<{ slot: SlotId; ok: boolean; error?: SerializedError }>> {
    await this.s.readiness();
    return Promise.all(SLOT_IDS.map(async (slot) => {
      if (!this.s.model(slot)) {
        return { slot, ok: false, error: new ModelbayError('EMB-E118', `${slot} has no model: skipped.`, { slot, skipped: 'no-model' }).toJSON() };
      }
      if (this.s.checks.get(slot)?.readiness.status === 'ready') return { slot, ok: true };
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
    this.s.requireModel(slot);
    const job = this.s.jobs.get(slot);
    if (!job) return idleProgress(slot, this.s.stateOf(slot) === 'ready' ? 'done' : 'queued');
    if (this.s.running(slot) && job.progress.phase !== 'verifying') {
      job.stop = 'pause';
      job.controller?.abort();
      for (const f of job.progress.files) if (f.phase !== 'done') Object.assign(f, { phase: 'paused', speedBps: 0, etaSeconds: null, retry: null });
      this.setPhase(job, 'paused');
      this.s.activity('download', slot, `${slot} download paused`);
    }
    return structuredClone(job.progress);
  }

  resume(slot: SlotId): SlotDownloadProgress {
    const job = this.job(slot);
    const model = job.target?.model ?? this.s.requireModel(slot);
    if (!this.s.running(slot)) {
      job.progress = { ...job.progress, phase: 'queued', error: null };
      // The caller follows progress events; the outcome also shows as state and activity.
      void this.launch(job, model).catch(() => undefined);
      this.emitProgress(job);
    }
    return structuredClone(job.progress);
  }

  cancel(slot: SlotId): SlotDownloadProgress {
    const job = this.job(slot);
    const model = job.target?.model ?? this.s.requireModel(slot);
    if (!job.target && !this.s.running(slot) && this.s.diskState(slot) === 'ready') return structuredClone(job.progress);
    job.generation++;
    if (this.s.running(slot)) {
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
      this.follow(job, run);
    }
    job.progress.phase = 'cancelled';
    return structuredClone(job.progress);
  }

  progress(): SlotDownloadProgress[] {
    return [...this.s.jobs.values()].map((j) => { this.aggregate(j); return structuredClone(j.progress); });
  }

  /** Abort every running download (keeping partial data) and wait for the runs, at most `graceMs`. */
  async closeAll(graceMs: number): Promise<void> {
    const runs: Promise<unknown>[] = [];
    for (const job of this.s.jobs.values()) {
      if (!job.run) continue;
      if (job.stop === null) {
        job.stop = 'close';
        job.controller?.abort();
      }
      runs.push(job.run.catch(() => undefined));
    }
    // Aborted runs end within moments; one stuck in the kernel must not hold shutdown hostage.
    await settledWithin(Promise.all(runs), graceMs);
    for (const job of this.s.jobs.values()) {
      job.target?.reject(new ModelbayError('EMB-E114', 'Modelbay is shutting down: the download stopped (its partial data is kept).', { slot: job.slot }));
      job.target = null;
    }
  }
}
