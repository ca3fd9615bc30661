/**
 * The App service: composes the core (slot manager, registry, session hosts, artifact
 * manager, GPU monitor) into the one API that IPC, HTTP and tests call. Commands arrive
 * as untrusted data and are validated here with the shared zod schemas; every answer is
 * a CommandReply, so a bad command can never throw through a transport or crash main.
 * State lives in the core; this layer turns core events into AppEvents, keeps the
 * activity log and the VRAM history, and persists what the user changes.
 */
import { totalmem } from 'node:os';
import type { ActivityEntry } from '../shared/activity.js';
import {
  ACTIVITY_LIMIT,
  COMMAND_NAMES,
  COMMAND_SCHEMAS,
  HISTORY_SECONDS,
  isCommandName,
  MAX_COMMAND_BYTES,
  type AppEvent,
  type AppSnapshot,
  type CommandArgs,
  type CommandName,
  type CommandReply,
  type CommandResults,
  type HistoryPoint,
  type RuntimeInfo,
} from '../shared/api.js';
import type { ReadinessReport } from '../shared/artifacts.js';
import { GiB } from '../shared/bytes.js';
import { ModelbayError, serializeError, toModelbayError } from '../shared/errors.js';
import type { GpuInfo, GpuSample } from '../shared/gpu.js';
import { slotSettings, type Settings, type SettingsView, type SlotSettings } from '../shared/settings.js';
import { SLOT_IDS, type SlotId } from '../shared/slots.js';
import type { DeviceBudgetSnapshot, DeviceId } from '../shared/state.js';
import type { ArtifactEvent, ArtifactManager } from './core/artifacts/types.js';
import { DiskDiscovery } from './core/artifacts/disk-discovery.js';
import { createDiskHandlers } from './app/disk-handlers.js';
import { createAliasHandlers } from './app/alias-handlers.js';
import { runProbe } from './app/health-probe.js';
import { UsageTracker } from './core/registry/slot-usage.js';
import type { ProbeResult } from '../shared/usage.js';
import { aliasesConflict } from '../shared/model-names.js';
import { applyGpuSample, DEFAULT_GPU_BUDGET_BYTES, defaultGpuBudget, gpuDeviceId, GpuMonitor, type GpuMonitorOptions } from './core/gpu/index.js';
import { ModelRegistry, unrefTimers, type RegistryEvent } from './core/registry/registry.js';
import type { Timers } from './core/registry/types.js';
import {
  estimateSessionBytes,
  HostPool,
  OnnxSessionFactory,
  splitEmbeddings,
  type HostLauncher,
  type HostLoadOptions,
  type OnnxModelSession,
} from './core/runtime/index.js';
import { seedEstimateBytes } from './core/slots/seed.js';
import { SlotManager } from './core/slots/slot-manager.js';
import { artifactConfig, resolveCacheDir, resolveEndpoint, resolveToken, isOffline, type ResolvedToken } from './core/state/hub-environment.js';
import { RingBuffer } from './core/state/ring-buffer.js';
import { describeIssues, type SettingsStore } from './core/state/settings-store.js';
import type { TokenStore } from './core/state/token-store.js';

export type AppListener = (event: AppEvent) => void;

export interface App {
  /** Validate and run one command; never throws. */
  execute(name: string, rawInput: unknown): Promise<CommandReply>;
  /** The listener receives a snapshot at once, then deltas; returns the unsubscribe function. */
  subscribe(listener: AppListener): () => void;
  snapshot(): AppSnapshot;
  /** Startup of DESIGN.md: readiness → GPU monitor → preload. Resolves when preloading has settled. */
  start(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface AppOptions {
  mode: RuntimeInfo['mode'];
  version?: string;
  settings: SettingsStore;
  tokens: TokenStore;
  artifacts: ArtifactManager;
  launcher: HostLauncher;
  /** The GPU monitor's options (tests point nvidiaSmi at the fake one, or null for none). */
  gpu?: GpuMonitorOptions;
  env?: NodeJS.ProcessEnv;
  /** RAM size for the CPU budget default; default os.totalmem(). */
  totalMemoryBytes?: number;
  /** Whether onnxruntime's CUDA provider library is installed. */
  cudaProvider?: boolean;
  hostLoadOptions?: HostLoadOptions;
  now?: () => number;
  timers?: Timers;
  /** Period of the VRAM history; default 1000 ms (one point per device per second). */
  historyIntervalMs?: number;
  /** How long start() waits for the first GPU sample; default 3000 ms. */
  gpuWaitMs?: number;
  /** Where warnings go besides the activity log (stderr in the entries). */
  log?: (message: string) => void;
}

/** `raw` is the validated input as sent, before zod filled in defaults (settings patches merge only what was sent). */
type Handlers = { [K in CommandName]: (args: CommandArgs<K>, raw: unknown) => Promise<CommandResults[K]> };

export function createApp(options: AppOptions): App {
  return new AppService(options);
}

/** The CPU budget when the user set none: the smaller of 8 GiB and half the RAM. */
export function defaultCpuBudget(totalMemoryBytes: number): number {
  return Math.max(64 * 1024 * 1024, Math.min(8 * GiB, Math.floor(totalMemoryBytes / 2)));
}

class AppService implements App {
  private readonly settings: SettingsStore;
  private readonly tokens: TokenStore;
  private readonly artifacts: ArtifactManager;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly log: (message: string) => void;
  private readonly slots: SlotManager;
  private readonly pool: HostPool;
  private readonly registry: ModelRegistry<OnnxModelSession>;
  private readonly monitor: GpuMonitor;
  private readonly discovery: DiskDiscovery;
  private readonly usage: UsageTracker;
  /** Each slot's last state, to probe a slot once when it becomes loaded. */
  private readonly lastState = new Map<SlotId, string>();
  private readonly listeners = new Set<AppListener>();
  private readonly activityLog = new RingBuffer<ActivityEntry>(ACTIVITY_LIMIT);
  private readonly history = new Map<DeviceId, RingBuffer<HistoryPoint>>();
  private readonly handlers: Handlers;
  private readonly unsubscribe: Array<() => void> = [];
  /** The device each slot should be on, once that device exists (GPUs appear with the first sample). */
  private readonly wantedDevice = new Map<SlotId, DeviceId>();
  private readonly lastDerived = { devices: '', stats: '', runtime: '' };
  private token: ResolvedToken;
  private readiness: ReadinessReport | null = null;
  private historyHandle: unknown = null;
  private started: Promise<void> | null = null;
  private closed: Promise<void> | null = null;

  constructor(private readonly options: AppOptions) {
    this.settings = options.settings;
    this.tokens = options.tokens;
    this.artifacts = options.artifacts;
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? unrefTimers;
    this.log = options.log ?? (() => undefined);
    this.token = resolveToken(this.tokens, this.env);
    const s = this.settings.get();

    this.slots = new SlotManager({ devices: [{ device: 'cpu', budgetBytes: this.cpuBudget(s) }], thresholds: s.thresholds, now: this.now });
    this.monitor = new GpuMonitor({ env: this.env, ...options.gpu });
    this.usage = new UsageTracker({ now: this.now, onChange: (usage) => this.emit({ type: 'usage', usage }) });
    this.discovery = new DiskDiscovery({
      cacheDir: () => resolveCacheDir(this.settings.get(), this.env),
      localFolders: () => this.settings.get().modelFolders,
      slotModels: () => this.artifacts.catalog().map((c) => ({ slot: c.slot, repo: c.repo, revision: c.revision, model: c.files.find((f) => f.role === 'model')?.path ?? null })),
      onChange: (disk) => this.emit({ type: 'disk', disk }),
      now: this.now,
    });
    this.pool = new HostPool({
      launcher: options.launcher,
      onSessionLost: (slot, error) => {
        this.registry.sessionLost(slot, error).catch((e: unknown) => this.report(e, `Recording ${slot}'s lost session failed`));
      },
      onHostExit: (device, exit, expected) => {
        if (!expected) this.pushActivity({ kind: 'error', slot: null, device, code: 'EMB-E203', message: `The session host for ${device} ended unexpectedly (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}).` });
        this.emitDerived();
      },
    });
    const factory = new OnnxSessionFactory({
      pool: this.pool,
      resolve: (slot, signal) => this.artifacts.resolveFiles(slot, signal),
      strictGpu: () => this.settings.get().strictGpu,
      loadOptions: options.hostLoadOptions,
      gpuMemory: (pid) => this.monitor.processMemory(pid),
    });
    const states = this.artifacts.states();
    this.registry = new ModelRegistry({
      factory,
      slots: this.slots,
      maxParallelLoads: s.loadConcurrency,
      clock: { now: this.now },
      timers: this.timers,
      configs: SLOT_IDS.map((id) => {
        const ss = slotSettings(s, id);
        if (ss.device) this.wantedDevice.set(id, ss.device);
        const device = ss.device && this.slots.hasDevice(ss.device) ? ss.device : 'cpu';
        return {
          id, device, estimateBytes: this.estimateFor(id, device), pinned: ss.pinned, preload: ss.preload,
          idleTtlMs: ss.idleTtlMs ?? s.idleTtlMs, artifactState: states[id],
        };
      }),
      hooks: {
        prepare: async (slot, signal) => {
          await this.artifacts.prepare(slot, signal, this.settings.get().autoDownload);
          // Files just arrived or their sizes became known: reserve what they will need.
          this.refreshEstimate(slot);
        },
      },
    });
    // A fault while handling one event is logged; it must not reach the component that emitted it.
    this.unsubscribe.push(this.registry.on((e) => this.guard('A registry event', () => this.onRegistryEvent(e))));
    this.unsubscribe.push(this.artifacts.on((e) => this.guard('An artifact event', () => this.onArtifactEvent(e))));
    this.unsubscribe.push(this.monitor.on((sample) => this.guard('A GPU sample', () => this.onGpuSample(sample))));
    this.handlers = this.createHandlers();
  }

  // ── the API ──────────────────────────────────────────────────────────────────

  async execute(name: string, rawInput: unknown): Promise<CommandReply> {
    try {
      if (!isCommandName(name)) {
        throw new ModelbayError('EMB-E404', `There is no command ${JSON.stringify(String(name).slice(0, 64))}.`, { command: String(name).slice(0, 64), known: COMMAND_NAMES });
      }
      const input = rawInput === undefined || rawInput === null ? {} : rawInput;
      assertPayloadSize(name, input);
      const parsed = COMMAND_SCHEMAS[name].safeParse(input);
      if (!parsed.success) {
        const issues = describeIssues(parsed.error);
        const first = issues[0];
        throw new ModelbayError('EMB-E401', `Invalid input for ${name}: ${first ? `${first.path || 'input'}: ${first.message}` : 'invalid value'}.`, { command: name, issues });
      }
      if (this.closed) throw new ModelbayError('EMB-E009', 'Modelbay is shutting down.', { command: name });
      const handler = this.handlers[name] as (args: unknown, raw: unknown) => Promise<unknown>;
      const result = await handler(parsed.data, input);
      return { ok: true, result } as CommandReply;
    } catch (e) {
      return { ok: false, error: serializeError(e) };
    }
  }

  subscribe(listener: AppListener): () => void {
    this.deliver(listener, { type: 'snapshot', snapshot: this.snapshot() });
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  snapshot(): AppSnapshot {
    return {
      at: this.now(),
      runtime: this.runtimeInfo(),
      slots: this.registry.snapshots(),
      catalog: this.artifacts.catalog(),
      devices: this.slots.snapshots(),
      gpu: this.monitor.latest(),
      downloads: this.artifacts.progress(),
      readiness: this.readiness,
      activity: this.activityLog.toArray(),
      stats: this.registry.stats(),
      settings: this.settingsView(),
      history: [...this.history.values()].flatMap((r) => r.toArray()).sort((a, b) => a.at - b.at),
      disk: this.discovery.view(),
      usage: this.usage.views(),
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
    for (const w of this.settings.warnings) this.warn(w);
    try {
      this.setReadiness(await this.artifacts.readiness());
    } catch (e) {
      this.report(e, 'Checking which model files are present failed');
    }
    this.refreshEstimates();
    // What else is on disk is for the On-disk view: never worth delaying the start for.
    this.discovery.scanInBackground();
    await this.startGpuMonitor();
    this.historyHandle = this.timers.setInterval(() => this.recordHistory(), this.options.historyIntervalMs ?? 1000);
    this.registry.startIdleSweeper();
    this.recordHistory();
    await this.registry.initialize();
    if (this.settings.get().cacheLimitBytes !== null) this.enforceCacheLimit();
    this.emitDerived();
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
      this.report(e, 'The GPU monitor could not start');
    }
    this.placeWantedDevices();
  }

  private async shutdownNow(): Promise<void> {
    if (this.historyHandle !== null) this.timers.clearInterval(this.historyHandle);
    this.historyHandle = null;
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
    this.listeners.clear();
  }

  // ── commands ─────────────────────────────────────────────────────────────────

  private createHandlers(): Handlers {
    const r = this.registry;
    const a = this.artifacts;
    return {
      getSnapshot: () => Promise.resolve(this.snapshot()),
      load: async ({ slot }) => {
        await r.load(slot);
        return r.snapshot(slot);
      },
      unload: async ({ slot }) => {
        await r.unload(slot);
        return r.snapshot(slot);
      },
      evict: async ({ slot, force }) => {
        await r.evict(slot, { force });
        return r.snapshot(slot);
      },
      pin: async ({ slot }) => {
        const was = r.snapshot(slot).pinned;
        r.pin(slot);
        await this.persistSlot(slot, { pinned: true }, () => (was ? undefined : r.unpin(slot)));
        return r.snapshot(slot);
      },
      unpin: async ({ slot }) => {
        const was = r.snapshot(slot).pinned;
        r.unpin(slot);
        await this.persistSlot(slot, { pinned: false }, () => (was ? r.pin(slot) : undefined));
        return r.snapshot(slot);
      },
      setPreload: async ({ slot, preload }) => {
        const was = r.snapshot(slot).preload;
        r.setPreload(slot, preload);
        await this.persistSlot(slot, { preload }, () => r.setPreload(slot, was));
        return r.snapshot(slot);
      },
      setDevice: async ({ slot, device }) => {
        const was = r.snapshot(slot).device;
        const wanted = this.wantedDevice.get(slot);
        r.setDevice(slot, device);
        this.wantedDevice.set(slot, device);
        this.refreshEstimate(slot);
        await this.persistSlot(slot, { device }, () => {
          r.setDevice(slot, was);
          if (wanted === undefined) this.wantedDevice.delete(slot);
          else this.wantedDevice.set(slot, wanted);
          this.refreshEstimate(slot);
        });
        return r.snapshot(slot);
      },
      setIdleTtl: async ({ slot, ttlMs }) => {
        const was = r.snapshot(slot).idleTtlMs;
        r.setIdleTtl(slot, ttlMs ?? this.settings.get().idleTtlMs);
        await this.persistSlot(slot, { idleTtlMs: ttlMs }, () => r.setIdleTtl(slot, was));
        return r.snapshot(slot);
      },
      setSlotSource: async ({ slot, source }) => {
        this.assertNotInUse(slot, 'change its model');
        const view = a.setSlotSource(slot, source);
        await this.settings.updateSlot(slot, { source });
        this.refreshEstimate(slot);
        this.emitSettings();
        return view;
      },
      download: ({ slot }) => a.download(slot),
      downloadAll: async () => ({ results: await a.downloadAll() }),
      pauseDownload: ({ slot }) => Promise.resolve(a.pause(slot)),
      resumeDownload: ({ slot }) => Promise.resolve(a.resume(slot)),
      cancelDownload: ({ slot }) => Promise.resolve(a.cancel(slot)),
      verify: ({ slot }) => a.verify(slot),
      clearSlot: async ({ slot }) => {
        this.assertNotInUse(slot, 'delete its files');
        return this.setReadiness(await a.clear(slot));
      },
      clearCache: async () => {
        const busy = r.snapshots().filter((s) => s.state === 'loaded' || s.state === 'loading').map((s) => s.id);
        if (busy.length > 0) {
          throw new ModelbayError('EMB-E007', `Unload ${busy.join(', ')} before clearing the cache.`, { slots: busy });
        }
        return this.setReadiness(await a.clearAll());
      },
      refreshReadiness: async () => this.setReadiness(await a.readiness()),
      embed: async ({ slot, texts }) => {
        let session;
        try {
          session = await r.get(slot);
        } catch (e) {
          this.usage.failure(slot, e);
          throw e;
        }
        const loaded = session;
        const result = await this.usage.measure(slot, texts.length, () => loaded.embed(texts));
        // A use of a loaded slot changes no state in the registry, but its figures moved (use count, LRU order).
        this.emit({ type: 'slot', slot: r.snapshot(slot) });
        this.emitDerived();
        return { slot, dims: result.dims, vectors: splitEmbeddings(result).map((v) => Array.from(v)) };
      },
      updateSettings: async (_patch, raw) => {
        const before = this.settings.get();
        const after = await this.settings.update(raw, (next) => {
          const conflict = aliasesConflict(next);
          if (conflict) throw conflict;
        });
        await this.applySettings(before, after);
        return this.emitSettings();
      },
      setToken: ({ token }) => {
        this.tokens.set(token);
        this.token = resolveToken(this.tokens, this.env);
        this.artifacts.configure({ token: this.token.token });
        this.pushActivity({ kind: 'info', slot: null, message: token === null ? 'The Hugging Face token was removed.' : 'A Hugging Face token was saved.' });
        return Promise.resolve(this.emitSettings());
      },
      probe: ({ slot }) => this.probe(slot),
      ...createAliasHandlers({
        settings: this.settings,
        changed: (slot, alias, before) => {
          this.emitSettings();
          this.pushActivity({ kind: 'info', slot, message: alias === null ? `${slot} no longer has an alias (was ${before ?? '—'}).` : `${slot} is now named ${alias}${before ? ` (was ${before})` : ''}.` });
        },
      }),
      ...createDiskHandlers({
        discovery: this.discovery,
        artifacts: a,
        settings: () => this.settings.get(),
        slots: () => r.snapshots(),
        assertNotInUse: (slot, what) => this.assertNotInUse(slot, what),
        updateSlot: async (slot, patch) => {
          await this.settings.updateSlot(slot, patch);
          this.emitSettings();
        },
        setReadiness: (report) => this.setReadiness(report),
      }),
    };
  }

  /** Save a slot's change; when the settings cannot be written, the change is taken back so memory and disk agree. */
  private async persistSlot(slot: SlotId, patch: Partial<SlotSettings>, undo: () => void): Promise<void> {
    try {
      await this.settings.updateSlot(slot, patch);
    } catch (e) {
      undo();
      throw e;
    }
    // The dashboard reads a slot's own choices (TTL unset vs. set, its source) from the settings view.
    this.emitSettings();
  }

  private assertNotInUse(slot: SlotId, what: string): void {
    const state = this.registry.snapshot(slot).state;
    if (state === 'loaded' || state === 'loading' || state === 'unloading') {
      throw new ModelbayError('EMB-E007', `${slot} is ${state}: unload it before you ${what}.`, { slot, state });
    }
  }

  /** Settings changed through updateSettings: every part of the core follows live. */
  private async applySettings(before: Settings, after: Settings): Promise<void> {
    let budgets = false;
    if (before.cpuBudgetBytes !== after.cpuBudgetBytes) {
      this.slots.setBudget('cpu', this.cpuBudget(after));
      budgets = true;
    }
    if (before.gpuBudgetBytes !== after.gpuBudgetBytes) {
      const gpus = this.monitor.latest()?.gpus ?? [];
      for (const device of this.slots.listDevices().filter((d) => d.startsWith('cuda:'))) {
        const gpu = gpus.find((g) => gpuDeviceId(g) === device);
        this.slots.setBudget(device, after.gpuBudgetBytes ?? (gpu ? defaultGpuBudget(gpu) : DEFAULT_GPU_BUDGET_BYTES));
      }
      budgets = true;
    }
    if (JSON.stringify(before.thresholds) !== JSON.stringify(after.thresholds)) {
      this.slots.setThresholds(after.thresholds);
      budgets = true;
    }
    if (before.loadConcurrency !== after.loadConcurrency) this.registry.setMaxParallelLoads(after.loadConcurrency);
    for (const slot of SLOT_IDS) this.applySlotSettings(slot, before, after);
    this.artifacts.configure(artifactConfig(after, this.token, this.env));
    if (budgets) {
      this.emitDerived(true);
      await this.registry.rebalance('budget-change');
    }
    if (after.cacheLimitBytes !== null && before.cacheLimitBytes !== after.cacheLimitBytes) this.enforceCacheLimit();
    if (before.cacheDir !== after.cacheDir || JSON.stringify(before.modelFolders) !== JSON.stringify(after.modelFolders)) this.discovery.scanInBackground();
  }

  /** In the background: pinned and loaded slots keep their files whatever the limit. */
  private enforceCacheLimit(spare?: SlotId): void {
    const protectedSlots = new Set(this.registry.snapshots().filter((s) => s.pinned || s.state === 'loaded' || s.state === 'loading').map((s) => s.id));
    if (spare) protectedSlots.add(spare);
    this.artifacts.enforceCacheLimit(protectedSlots).catch((e: unknown) => this.report(e, 'Applying the cache size limit failed'));
  }

  private applySlotSettings(slot: SlotId, before: Settings, after: Settings): void {
    const b = slotSettings(before, slot);
    const n = slotSettings(after, slot);
    try {
      if (b.pinned !== n.pinned) {
        if (n.pinned) this.registry.pin(slot);
        else this.registry.unpin(slot);
      }
      if (b.preload !== n.preload) this.registry.setPreload(slot, n.preload);
      if (b.idleTtlMs !== n.idleTtlMs || before.idleTtlMs !== after.idleTtlMs) this.registry.setIdleTtl(slot, n.idleTtlMs ?? after.idleTtlMs);
      if (n.device && b.device !== n.device) {
        this.wantedDevice.set(slot, n.device);
        if (this.slots.hasDevice(n.device)) this.registry.setDevice(slot, n.device);
      }
      if (JSON.stringify(b.source) !== JSON.stringify(n.source)) this.artifacts.setSlotSource(slot, n.source);
    } catch (e) {
      this.report(e, `Applying ${slot}'s settings failed`);
    }
  }

  // ── events in ────────────────────────────────────────────────────────────────

  private probe(slot: SlotId): Promise<ProbeResult> {
    return runProbe(slot, this.registry.peek(slot), this.usage, { now: this.now, elapsed: () => performance.now() });
  }

  private onRegistryEvent(e: RegistryEvent): void {
    if (e.type === 'activity') {
      this.pushActivity(e.entry);
      return;
    }
    if (e.type === 'slot') {
      const was = this.lastState.get(e.slot.id);
      this.lastState.set(e.slot.id, e.slot.state);
      // A fresh load is probed once: a model that loads but cannot embed shows up now, not at the first request.
      if (e.slot.state === 'loaded' && was !== 'loaded') {
        this.probe(e.slot.id).catch((err: unknown) => this.report(err, `The health probe of ${e.slot.id} could not run`));
      }
    }
    this.emit(e);
    if (e.type === 'slot') this.emitDerived();
  }

  private onArtifactEvent(e: ArtifactEvent): void {
    switch (e.type) {
      case 'progress':
        this.emit({ type: 'download', progress: e.progress });
        return;
      case 'state':
        this.registry.setArtifactState(e.slot, e.state, e.error);
        if (e.state === 'ready') {
          this.refreshEstimate(e.slot);
          // A finished download is what grows the cache: keep it under its limit.
          // The slot just downloaded is spared, or a limit below its size would undo the download.
          if (this.settings.get().cacheLimitBytes !== null) this.enforceCacheLimit(e.slot);
        }
        return;
      case 'readiness':
        this.setReadiness(e.report);
        return;
      case 'catalog':
        this.emit({ type: 'catalog', catalog: e.catalog });
        this.refreshEstimates();
        this.discovery.refreshUsage().catch((err: unknown) => this.report(err, 'Marking which slot uses which model on disk failed'));
        return;
      case 'activity':
        this.pushActivity({ at: this.now(), ...e.entry });
        return;
    }
  }

  private onGpuSample(sample: GpuSample): void {
    const added = applyGpuSample(this.slots, sample, (gpu) => this.gpuBudget(gpu));
    this.emit({ type: 'gpu', sample });
    if (added.length > 0) {
      for (const device of added) {
        const gpu = sample.gpus.find((g) => gpuDeviceId(g) === device);
        this.pushActivity({ kind: 'info', slot: null, device, message: `Found ${device}${gpu ? ` (${gpu.name})` : ''}.` });
      }
      this.placeWantedDevices();
      this.emitDerived(true);
    }
  }

  // ── derived state ────────────────────────────────────────────────────────────

  private settingsView(): SettingsView {
    const s = this.settings.get();
    return {
      settings: s,
      token: { set: this.token.token !== null, source: this.token.source, encrypted: this.token.source === 'app' && this.tokens.encrypted },
      cacheDir: resolveCacheDir(s, this.env),
      endpoint: resolveEndpoint(s, this.env),
      offline: isOffline(this.env),
    };
  }

  private emitSettings(): SettingsView {
    const view = this.settingsView();
    this.emit({ type: 'settings', settings: view });
    return view;
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

  /** Devices, stats and hosts follow slot changes: send each only when it really changed. */
  private emitDerived(forceDevices = false): void {
    const devices: DeviceBudgetSnapshot[] = this.slots.snapshots();
    const d = JSON.stringify(devices);
    if (forceDevices || d !== this.lastDerived.devices) {
      this.lastDerived.devices = d;
      this.emit({ type: 'devices', devices });
    }
    const stats = this.registry.stats();
    const s = JSON.stringify(stats);
    if (s !== this.lastDerived.stats) {
      this.lastDerived.stats = s;
      this.emit({ type: 'stats', stats });
    }
    const runtime = this.runtimeInfo();
    const rt = JSON.stringify(runtime);
    if (rt !== this.lastDerived.runtime) {
      this.lastDerived.runtime = rt;
      this.emit({ type: 'runtime', runtime });
    }
  }

  private setReadiness(report: ReadinessReport): ReadinessReport {
    this.readiness = report;
    this.emit({ type: 'readiness', report });
    this.refreshEstimates();
    return report;
  }

  private recordHistory(): void {
    const at = this.now();
    const sample = this.monitor.latest();
    const points: HistoryPoint[] = this.slots.snapshots().map((d) => {
      const gpu = d.device.startsWith('cuda:') && sample?.available ? sample.gpus.find((g) => gpuDeviceId(g) === d.device) : undefined;
      return {
        at,
        device: d.device,
        budgetBytes: d.budgetBytes,
        allocatedBytes: d.allocatedBytes,
        deviceUsedBytes: gpu?.memoryUsedBytes ?? null,
        deviceTotalBytes: gpu?.memoryTotalBytes ?? null,
        slots: Object.fromEntries(d.allocations.map((a) => [a.slot, a.bytes])),
      };
    });
    for (const p of points) {
      let ring = this.history.get(p.device);
      if (!ring) this.history.set(p.device, (ring = new RingBuffer<HistoryPoint>(HISTORY_SECONDS)));
      ring.push(p);
    }
    this.emit({ type: 'history', points });
  }

  // ── estimates and devices ────────────────────────────────────────────────────

  private cpuBudget(s: Settings): number {
    return s.cpuBudgetBytes ?? defaultCpuBudget(this.options.totalMemoryBytes ?? totalmem());
  }

  private gpuBudget(gpu: GpuInfo): number {
    return this.settings.get().gpuBudgetBytes ?? defaultGpuBudget(gpu);
  }

  private estimateFor(slot: SlotId, device: DeviceId): number {
    const fileBytes = this.artifacts.fileBytes(slot);
    if (fileBytes === null) return seedEstimateBytes(slot);
    const dims = this.artifacts.catalog().find((c) => c.slot === slot)?.dims ?? null;
    return estimateSessionBytes({
      fileBytes,
      device,
      hostHasContext: this.pool.hasHost(device),
      dims,
      batchSize: this.options.hostLoadOptions?.batchSize,
      maxSequenceLength: this.options.hostLoadOptions?.maxSequenceLength,
    });
  }

  private refreshEstimate(slot: SlotId): void {
    const snap = this.registry.snapshot(slot);
    const bytes = this.estimateFor(slot, snap.device);
    if (bytes !== snap.estimateBytes) this.registry.setEstimate(slot, bytes);
  }

  private refreshEstimates(): void {
    for (const slot of SLOT_IDS) this.refreshEstimate(slot);
  }

  /**
   * Where a slot goes when the user chose nothing: the first GPU when onnxruntime can use
   * CUDA, else the CPU (a GPU without the CUDA provider would only fail with EMB-E201).
   */
  private defaultDevice(): DeviceId {
    return this.options.cudaProvider && this.slots.hasDevice('cuda:0') ? 'cuda:0' : 'cpu';
  }

  /** Slots start on the CPU until their GPU is seen (GPUs appear with the first sample); then they move. */
  private placeWantedDevices(): void {
    for (const slot of SLOT_IDS) {
      const device = this.wantedDevice.get(slot) ?? this.defaultDevice();
      const snap = this.registry.snapshot(slot);
      if (snap.device === device || !this.slots.hasDevice(device)) continue;
      if (snap.state === 'loaded' || snap.state === 'loading' || snap.state === 'unloading') continue;
      try {
        this.registry.setDevice(slot, device);
        this.refreshEstimate(slot);
      } catch (e) {
        this.report(e, `Moving ${slot} to ${device} failed`);
      }
    }
  }

  // ── events out ───────────────────────────────────────────────────────────────

  private pushActivity(entry: ActivityEntry | Omit<ActivityEntry, 'at'>): void {
    const full: ActivityEntry = 'at' in entry ? entry : { at: this.now(), ...entry };
    this.activityLog.push(full);
    this.emit({ type: 'activity', entry: full });
  }

  private warn(message: string): void {
    this.log(message);
    this.pushActivity({ kind: 'error', slot: null, message });
  }

  private report(error: unknown, what: string): void {
    const err = toModelbayError(error);
    this.log(`${what}: ${err.message}`);
    this.pushActivity({ kind: 'error', slot: null, code: err.code, message: `${what}: ${err.message}` });
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report(e, `${what} could not be applied`);
    }
  }

  private emit(event: AppEvent): void {
    for (const l of this.listeners) this.deliver(l, event);
  }

  private deliver(listener: AppListener, event: AppEvent): void {
    try {
      listener(event);
    } catch (e) {
      // A listener's failure (a closed window, a broken socket) is its own.
      this.log(`An event listener failed: ${toModelbayError(e).message}`);
    }
  }
}

/** Transports check sizes too; this guards callers that hand objects straight in. */
function assertPayloadSize(command: CommandName, input: unknown): void {
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(input) ?? '', 'utf8');
  } catch (e) {
    throw new ModelbayError('EMB-E401', `Invalid input for ${command}: it is not plain data.`, { command, reason: (e as Error).message });
  }
  if (bytes > MAX_COMMAND_BYTES) {
    throw new ModelbayError('EMB-E405', `The input for ${command} is ${bytes} bytes; the limit is ${MAX_COMMAND_BYTES}.`, { command, bytes, limit: MAX_COMMAND_BYTES });
  }
}
