/**
 * The App service: the composition facade. It builds the collaborators in src/main/app
 * (commands, settings sync, placement, event hub) around the core (registry, session
 * hosts, artifact manager, GPU monitor) and exposes the one API that IPC, HTTP and tests
 * call. Commands arrive as untrusted data and are validated here with the shared zod
 * schemas; every answer is a CommandReply, so a bad command can never throw through a
 * transport or crash main. The registry owns slot, budget, device and pin state; the
 * artifact manager owns file state; this layer holds no domain state of its own.
 */
import { totalmem } from 'node:os';
import type { AppSnapshot, CommandReply, RuntimeInfo } from '../../shared/contract/api.js';
import type { ReadinessReport } from '../../shared/artifacts/artifacts.js';
import { ModelbayError, serializeError, toModelbayError } from '../../shared/errors/errors.js';
import type { GpuSample } from '../../shared/devices/gpu.js';
import { slotSettings } from '../../shared/settings/settings.js';
import { SLOT_IDS, type SlotId } from '../../shared/slots/slots.js';
import type { ArtifactEvent, ArtifactManager } from '../core/artifacts/manager/types.js';
import { findDevice, GpuMonitor, gpuDevices, MigDirectory } from '../core/gpu/index.js';
import { ModelRegistry, unrefTimers, type RegistryEvent } from '../core/registry/registry.js';
import type { Timers } from '../core/registry/types.js';
import { HostPool, OnnxSessionFactory, type OnnxModelSession, type ServeCall, type ServeResult } from '../core/runtime/index.js';
import { Serving } from './serving.js';
import { SlotManager } from '../core/slots/slot-manager.js';
import type { SettingsStore } from '../core/state/settings-store.js';
import type { Handlers } from './commands.js';
import { buildHandlerTable, parseCommand } from './handler-table.js';
import { FreshLoads, runProbe } from './health-probe.js';
import { DiskDiscovery } from '../core/artifacts/cache/disk-discovery.js';
import { UsageTracker } from '../core/registry/slot-usage.js';
import { updateServiceFor, type UpdateService } from './update-service.js';
import type { ProbeResult } from '../../shared/slots/usage.js';
import { EventHub } from './event-hub.js';
import { ModelShapes } from './model-shapes.js';
import { cpuBudget, createEstimator, defaultDevice, gpuBudget } from './placement.js';
import { SettingsSync } from './settings-sync.js';
import type { App, AppListener, AppOptions } from './types.js';
import { resolveCacheDir } from '../core/artifacts/manager/artifact-config.js';

export type { App, AppListener, AppOptions } from './types.js';
export { defaultCpuBudget } from './placement.js';

export function createApp(options: AppOptions): App {
  return new AppService(options);
}

class AppService implements App {
  private readonly settings: SettingsStore;
  private readonly artifacts: ArtifactManager;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly log: (message: string) => void;
  private readonly pool: HostPool;
  private readonly registry: ModelRegistry<OnnxModelSession>;
  private readonly monitor: GpuMonitor;
  /** MIG instances' UUIDs: a host on one runs with CUDA_VISIBLE_DEVICES=<its UUID>. */
  private readonly migs = new MigDirectory();
  private readonly hub: EventHub;
  private readonly sync: SettingsSync;
  private readonly handlers: Handlers;
  private readonly serving: Serving;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly shapes: ModelShapes;
  private readonly discovery: DiskDiscovery;
  private readonly usage: UsageTracker;
  private readonly updates: UpdateService;
  private readonly freshLoads = new FreshLoads();
  private readiness: ReadinessReport | null = null;
  private historyHandle: unknown = null;
  private started: Promise<void> | null = null;
  private closed: Promise<void> | null = null;

  constructor(private readonly options: AppOptions) {
    this.settings = options.settings;
    this.artifacts = options.artifacts;
    const env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? unrefTimers;
    this.log = options.log ?? (() => undefined);
    this.hub = new EventHub(this.now, this.log);
    const s = this.settings.get();
    const totalMemoryBytes = options.totalMemoryBytes ?? totalmem();

    this.monitor = new GpuMonitor({ env, ...options.gpu });
    this.usage = new UsageTracker({ now: this.now, onChange: (usage) => this.hub.emit({ type: 'usage', usage }) });
    this.discovery = new DiskDiscovery({
      cacheDir: () => resolveCacheDir(this.settings.get(), env),
      localFolders: () => this.settings.get().modelFolders,
      slotModels: () => this.artifacts.catalog().map((c) => ({ slot: c.slot, repo: c.repo, revision: c.revision, model: c.files.find((f) => f.role === 'model')?.path ?? null })),
      onChange: (disk) => this.hub.emit({ type: 'disk', disk }),
      now: this.now,
      timers: this.timers,
    });
    this.pool = new HostPool({
      launcher: options.launcher,
      deviceEnv: (device) => this.migs.env(device),
      onSessionLost: (slot, error) => {
        this.registry.sessionLost(slot, error).catch((e: unknown) => this.hub.report(e, `Recording ${slot}'s lost session failed`));
      },
      onHostExit: (device, exit, expected) => {
        if (!expected) this.hub.activity({ kind: 'error', slot: null, device, code: 'EMB-E203', message: `The session host for ${device} ended unexpectedly (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}).` });
        this.emitRuntime();
      },
    });
    this.shapes = new ModelShapes({
      resolveFiles: (slot, signal) => this.artifacts.resolveFiles(slot, signal),
      refreshEstimates: (slots) => this.registry.refreshEstimates(slots),
    });
    const factory = new OnnxSessionFactory({
      pool: this.pool,
      resolve: (slot, signal) => this.artifacts.resolveFiles(slot, signal),
      strictGpu: () => this.settings.get().strictGpu,
      loadOptions: options.hostLoadOptions,
      gpuMemory: (pid) => this.monitor.processMemory(pid),
    });
    const states = this.artifacts.states();
    const artifacts = this.artifacts;
    const settings = this.settings;
    this.registry = new ModelRegistry({
      factory,
      slots: new SlotManager({ devices: [{ device: 'cpu', budgetBytes: cpuBudget(s, totalMemoryBytes) }], thresholds: s.thresholds, now: this.now }),
      maxParallelLoads: s.loadConcurrency,
      clock: { now: this.now },
      timers: this.timers,
      releaseWaitMs: () => this.settings.get().releaseWaitMs,
      estimate: createEstimator({ artifacts, shapeOf: (slot) => this.shapes.shapeOf(slot), hostHasContext: (device) => this.pool.hasHost(device), loadOptions: options.hostLoadOptions }),
      configs: SLOT_IDS.map((id) => {
        const ss = slotSettings(s, id);
        return { id, device: ss.device, pinned: ss.pinned, preload: ss.preload, idleTtlMs: ss.idleTtlMs ?? s.idleTtlMs, artifactState: states[id] };
      }),
      hooks: {
        // Straight to the artifact manager: files in place (or downloaded), then the estimate from their real sizes.
        prepare: async (slot, signal) => {
          await artifacts.prepare(slot, signal, settings.get().autoDownload);
          await this.shapes.learn(slot);
        },
      },
    });
    this.sync = new SettingsSync({
      settings: this.settings, tokens: options.tokens, registry: this.registry, artifacts: this.artifacts, monitor: this.monitor,
      hub: this.hub, env, totalMemoryBytes, enforceCacheLimit: () => this.enforceCacheLimit(),
      rescanDisk: () => this.discovery.scanInBackground(),
    });
    this.updates = updateServiceFor({
      artifacts: this.artifacts, settings: this.settings, tokens: options.tokens, env, dataDir: this.sync.dataDir, now: this.now, registry: this.registry, events: this.hub,
      onChange: (updates) => this.hub.emit({ type: 'updates', updates }),
      report: (e, what) => this.hub.report(e, what),
    });
    this.unsubscribe.push(this.registry.on((e) => this.hub.guard('A registry event', () => this.onRegistryEvent(e))));
    this.unsubscribe.push(this.artifacts.on((e) => this.hub.guard('An artifact event', () => this.onArtifactEvent(e))));
    this.unsubscribe.push(this.monitor.on((sample) => this.hub.guard('A GPU sample', () => this.onGpuSample(sample))));
    this.handlers = buildHandlerTable({
      registry: this.registry, artifacts: this.artifacts, settings: this.settings, sync: this.sync, hub: this.hub, logs: this.options.logs,
      usage: this.usage, discovery: this.discovery, updates: this.updates,
      snapshot: () => this.snapshot(),
      setReadiness: (report) => this.setReadiness(report),
      touched: () => this.emitRuntime(),
      probe: (slot) => this.probe(slot),
    });
    this.serving = new Serving({
      use: (slot, fn) => this.registry.use(slot, fn),
      measure: (slot, texts, run) => this.usage.measure(slot, texts, run),
      loaded: () => SLOT_IDS.flatMap((slot) => {
        const session = this.registry.peek(slot);
        return session ? [{ slot, session }] : [];
      }),
      used: (slots) => {
        for (const slot of slots) this.hub.emit({ type: 'slot', slot: this.registry.snapshot(slot) });
        this.emitRuntime();
      },
    });
  }

  serve(slot: SlotId, call: ServeCall): Promise<ServeResult> {
    if (this.closed) return Promise.reject(new ModelbayError('EMB-E009', 'Modelbay is shutting down.', { slot }));
    return this.serving.serve(slot, call);
  }

  // ── the API ──────────────────────────────────────────────────────────────────

  async execute(name: string, rawInput: unknown): Promise<CommandReply> {
    try {
      const { name: command, args, raw } = parseCommand(name, rawInput);
      if (this.closed) throw new ModelbayError('EMB-E009', 'Modelbay is shutting down.', { command });
      const handler = this.handlers[command] as (args: unknown, raw: unknown) => Promise<unknown>;
      const result = await handler(args, raw);
      return { ok: true, result } as CommandReply;
    } catch (e) {
      const error = serializeError(e);
      this.options.logs?.commandFailed(name, error);
      return { ok: false, error };
    }
  }

  subscribe(listener: AppListener): () => void {
    return this.hub.subscribe(listener, { type: 'snapshot', snapshot: this.snapshot() });
  }

  snapshot(): AppSnapshot {
    return {
      at: this.now(),
      runtime: this.runtimeInfo(),
      slots: this.registry.snapshots(),
      catalog: this.artifacts.catalog(),
      devices: this.registry.devices(),
      gpu: this.monitor.latest(),
      downloads: this.artifacts.progress(),
      readiness: this.readiness,
      activity: this.hub.entries(),
      stats: this.registry.stats(),
      settings: this.sync.view(),
      history: this.hub.history(),
      serving: { queueDepth: this.serving.queueDepths() },
      disk: this.discovery.view(),
      usage: this.usage.views(),
      updates: this.updates.view(),
    };
  }

  start(): Promise<void> {
    this.started ??= this.startNow();
    return this.started;
  }

  shutdown(): Promise<void> {
    this.closed ??= this.shutdownNow();
    return this.closed;
  }

  // ── startup and shutdown ─────────────────────────────────────────────────────

  private async startNow(): Promise<void> {
    for (const w of this.settings.warnings) this.hub.warn(w);
    try {
      this.setReadiness(await this.artifacts.readiness());
    } catch (e) {
      this.hub.report(e, 'Checking which model files are present failed');
    }
    // What else is on disk is for the On-disk view: never worth delaying the start for.
    this.discovery.scanInBackground();
    // At most daily and never blocking the start; offline = unknown.
    await this.updates.load();
    this.updates.checkIfDue();
    await this.startGpuMonitor();
    this.historyHandle = this.timers.setInterval(() => this.recordHistory(), this.options.historyIntervalMs ?? 1000);
    this.registry.startIdleSweeper();
    this.recordHistory();
    await this.registry.initialize();
    if (this.settings.get().cacheLimitBytes !== null) this.enforceCacheLimit();
    this.emitRuntime();
  }

  private async startGpuMonitor(): Promise<void> {
    const first = new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.options.gpuWaitMs ?? 3000);
      timer.unref();
      const off = this.monitor.on(done);
      function done(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
    try {
      await this.monitor.start();
      await first;
    } catch (e) {
      this.hub.report(e, 'The GPU monitor could not start');
    }
    this.placeSlots();
  }

  private async shutdownNow(): Promise<void> {
    if (this.historyHandle !== null) this.timers.clearInterval(this.historyHandle);
    this.historyHandle = null;
    this.serving.close();
    this.discovery.close();
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['Stopping the GPU monitor', () => this.monitor.stop()],
      ['Unloading the models', () => this.registry.shutdown()],
      ['Stopping the session hosts', () => this.pool.shutdown()],
      ['Stopping downloads', () => this.artifacts.close()],
      ['Saving the settings', () => this.settings.flush()],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (e) {
        this.log(`${what} failed: ${toModelbayError(e).message}`);
      }
    }
    for (const off of this.unsubscribe.splice(0)) off();
    this.hub.close();
  }

  // ── events in ────────────────────────────────────────────────────────────────

  private onRegistryEvent(e: RegistryEvent): void {
    if (e.type === 'activity') {
      this.hub.activity(e.entry);
      return;
    }
    this.hub.emit(e);
    if (e.type === 'slot') {
      this.emitRuntime();
      if (this.freshLoads.justLoaded(e.slot)) {
        this.probe(e.slot.id).catch((err: unknown) => this.hub.report(err, `The health probe of ${e.slot.id} could not run`));
      }
    }
  }

  /** One tiny embed under a lease, only on a slot that is loaded: a probe never loads a model. */
  private probe(slot: SlotId): Promise<ProbeResult> {
    return runProbe(slot, (s, embed) => this.registry.withLoaded(s, embed), this.usage, { now: this.now, elapsed: () => performance.now() });
  }

  private onArtifactEvent(e: ArtifactEvent): void {
    switch (e.type) {
      case 'progress':
        this.hub.emit({ type: 'download', progress: e.progress });
        return;
      case 'state':
        this.registry.setArtifactState(e.slot, e.state, e.error);
        // Files arrived or went: "On disk" looks again by itself (once for many changes).
        if (e.state === 'ready' || e.state === 'missing') this.discovery.scanSoon();
        if (e.state === 'ready') {
          this.shapes.learnLater(e.slot);
          // A finished download is what grows the cache: keep it under its limit.
          // The slot just downloaded is spared, or a limit below its size would undo the download.
          if (this.settings.get().cacheLimitBytes !== null) this.enforceCacheLimit(e.slot);
        }
        return;
      case 'readiness':
        this.setReadiness(e.report);
        return;
      case 'catalog':
        this.hub.emit({ type: 'catalog', catalog: e.catalog });
        this.registry.refreshEstimates();
        this.discovery.refreshUsage().catch((err: unknown) => this.hub.report(err, 'Marking which slot uses which model on disk failed'));
        return;
      case 'activity':
        this.hub.activity({ at: this.now(), ...e.entry });
        return;
    }
  }

  private onGpuSample(sample: GpuSample): void {
    this.migs.remember(sample);
    const added = this.registry.syncGpus(sample, (gpu, _device, group) => gpuBudget(this.settings.get(), gpu, group));
    this.hub.emit({ type: 'gpu', sample });
    if (added.length > 0) {
      for (const device of added) {
        const gpu = findDevice(sample, device)?.gpu;
        this.hub.activity({ kind: 'info', slot: null, device, message: `Found ${device}${gpu ? ` (${gpu.name})` : ''}.` });
      }
      this.placeSlots();
    }
  }

  // ── derived state ────────────────────────────────────────────────────────────

  private placeSlots(): void {
    const latest = this.monitor.latest();
    this.registry.placeSlots(defaultDevice(this.options.cudaProvider ?? false, (d) => this.registry.hasDevice(d), latest ? gpuDevices(latest) : undefined));
  }

  /** In the background: every slot's revision stays whatever the limit; the revision history orders the older ones. */
  private enforceCacheLimit(spare?: SlotId): void {
    const protectedSlots = new Set(this.registry.snapshots().filter((s) => s.pinned || s.state === 'loaded' || s.state === 'loading').map((s) => s.id));
    if (spare) protectedSlots.add(spare);
    this.artifacts.enforceCacheLimit(protectedSlots, this.updates.view().history ?? []).catch((e: unknown) => this.hub.report(e, 'Applying the cache size limit failed'));
  }

  private runtimeInfo(): RuntimeInfo {
    return {
      mode: this.options.mode,
      version: this.options.version ?? '0.0.0',
      cudaProvider: this.options.cudaProvider ?? false,
      platform: `${process.platform}-${process.arch}`,
      hosts: this.pool.hosts().map((h) => ({ device: h.device, pid: h.pid, sessions: h.sessions.length })),
    };
  }

  private emitRuntime(): void {
    this.hub.emitRuntime({ type: 'runtime', runtime: this.runtimeInfo() });
  }

  private setReadiness(report: ReadinessReport): ReadinessReport {
    this.readiness = report;
    this.hub.emit({ type: 'readiness', report });
    this.registry.refreshEstimates();
    for (const s of this.registry.snapshots()) if (s.state === 'ready') this.shapes.learnLater(s.id);
    return report;
  }

  private recordHistory(): void {
    this.hub.recordHistory(this.registry.devices(), this.monitor.latest());
  }
}
