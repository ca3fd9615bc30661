/**
 * Settings → the running core. A patch is validated (schemas, then the checks only the
 * App can make), persisted, and only then applied through the registry and the artifact
 * manager, so memory and disk never disagree.
 */
import { dirname, resolve } from 'node:path';
import { ModelbayError } from '../../shared/errors/errors.js';
import { slotSettings, type Settings, type SettingsView } from '../../shared/settings/settings.js';
import { describeSensitiveChange, sensitiveChanges } from '../../shared/settings/settings-changes.js';
import { SLOT_IDS, type SlotId } from '../../shared/slots/slots.js';
import { pathWithin } from '../../shared/values/values.js';
import { aliasesConflict } from '../../shared/slots/model-names.js';
import { noModelSentence } from '../../shared/slots/state-words.js';
import type { ArtifactManager } from '../core/artifacts/manager/types.js';
import type { GpuMonitor } from '../core/gpu/index.js';
import { deviceBudget, findDevice } from '../core/gpu/index.js';
import type { ModelRegistry } from '../core/registry/registry.js';
import type { ModelSession } from '../core/registry/types.js';
import { isOffline, resolveEndpoint, resolveToken, type ResolvedToken } from '../core/artifacts/hub/hub-environment.js';
import { artifactConfig, resolveCacheDir } from '../core/artifacts/manager/artifact-config.js';
import type { SettingsStore } from '../core/state/settings-store.js';
import type { TokenStore } from '../core/state/token-store.js';
import type { EventHub } from './event-hub.js';
import { budgetSetting, cpuBudget, gpuBudget } from './placement.js';

export interface SettingsSyncOptions {
  settings: SettingsStore;
  tokens: TokenStore;
  registry: ModelRegistry<ModelSession>;
  artifacts: ArtifactManager;
  monitor: GpuMonitor;
  hub: EventHub;
  env: NodeJS.ProcessEnv;
  totalMemoryBytes: number;
  /** Keep the cache under its limit, sparing what is in use. */
  enforceCacheLimit: () => void;
  /** Look at the disk again (the cache folder or the model folders changed). */
  rescanDisk?: () => void;
}

export class SettingsSync {
  private token: ResolvedToken;

  constructor(private readonly o: SettingsSyncOptions) {
    this.token = resolveToken(o.tokens, o.env);
  }

  get dataDir(): string {
    return dirname(this.o.settings.path);
  }

  /** Checks that need the App's knowledge (the data folder), run before anything is saved. */
  readonly check = (next: Settings, before: Settings): void => {
    // Aliases are unique across slots; a patch may set several at once.
    const conflict = aliasesConflict(next);
    if (conflict) throw conflict;
    this.checkEmptySlots(next, before);
    if (next.cacheDir !== null && next.cacheDir !== before.cacheDir) {
      const cache = resolve(next.cacheDir);
      const data = resolve(this.dataDir);
      // The cache may live inside the data folder (clearing removes only models--* folders), never be it or hold it.
      if (pathWithin(data, cache)) {
        throw new ModelbayError('EMB-E406', `The cache folder ${cache} may not be the data folder ${data} or a folder around it: clearing or scanning the cache must never touch settings and tokens.`, {
          issues: [{ path: 'cacheDir', message: 'the cache folder overlaps the data folder', code: 'custom' }],
          cacheDir: cache, dataDir: data,
        });
      }
    }
  };

  /**
   * A pin or preload newly set on a slot with no model would hold nothing (the Pin and
   * Preload commands refuse it with EMB-E118; a settings patch must not slip past). A patch
   * that gives the slot its own model at the same time is fine.
   */
  private checkEmptySlots(next: Settings, before: Settings): void {
    const catalog = this.o.artifacts.catalog();
    for (const slot of SLOT_IDS) {
      const n = next.slots[slot];
      const b = before.slots[slot];
      const pin = n?.pinned === true && b?.pinned !== true;
      const preload = n?.preload === true && b?.preload !== true;
      if ((!pin && !preload) || n?.source) continue;
      // With no source before either, the catalog's view of the slot is its default's.
      if (!b?.source && catalog.find((v) => v.slot === slot)?.status === 'none') {
        throw new ModelbayError('EMB-E118', noModelSentence(slot, pin ? 'pin it' : 'preload it'), { slot });
      }
    }
  }

  /** updateSettings: validate, persist, then apply to the running core. */
  async update(raw: unknown): Promise<SettingsView> {
    const before = this.o.settings.get();
    const after = await this.o.settings.update(raw, this.check);
    await this.apply(before, after);
    for (const change of sensitiveChanges(before, after)) {
      const inUse = change.field === 'hfEndpoint' ? resolveEndpoint(after, this.o.env) : resolveCacheDir(after, this.o.env);
      this.o.hub.activity({ kind: 'info', slot: null, message: describeSensitiveChange(change, inUse) });
    }
    return this.emit();
  }

  setToken(token: string | null): SettingsView {
    this.o.tokens.set(token);
    this.token = resolveToken(this.o.tokens, this.o.env);
    this.o.artifacts.configure({ token: this.token.token });
    this.o.hub.activity({ kind: 'info', slot: null, message: token === null ? 'The Hugging Face token was removed.' : 'A Hugging Face token was saved.' });
    return this.emit();
  }

  view(): SettingsView {
    const s = this.o.settings.get();
    return {
      settings: s,
      token: { set: this.token.token !== null, source: this.token.source, encrypted: this.token.source === 'app' && this.o.tokens.encrypted, backend: this.o.tokens.backend },
      cacheDir: resolveCacheDir(s, this.o.env),
      endpoint: resolveEndpoint(s, this.o.env),
      offline: isOffline(this.o.env),
    };
  }

  emit(): SettingsView {
    const view = this.view();
    this.o.hub.emit({ type: 'settings', settings: view });
    return view;
  }

  /** Settings changed: every part of the core follows live, through its own writer. */
  private async apply(before: Settings, after: Settings): Promise<void> {
    const { registry, artifacts } = this.o;
    let budgets = false;
    const perDevice = JSON.stringify(before.deviceBudgets) !== JSON.stringify(after.deviceBudgets);
    if (before.cpuBudgetBytes !== after.cpuBudgetBytes || before.deviceBudgets.cpu !== after.deviceBudgets.cpu) {
      registry.setBudget('cpu', cpuBudget(after, this.o.totalMemoryBytes));
      budgets = true;
    }
    if (before.gpuBudgetBytes !== after.gpuBudgetBytes || perDevice) {
      const sample = this.o.monitor.latest();
      for (const device of registry.devices().map((d) => d.device).filter((d) => d.startsWith('cuda:'))) {
        // A MIG instance never gets more than it has; a GPU not in the sample keeps its budget unless one is set.
        if (findDevice(sample, device)) {
          registry.setBudget(device, deviceBudget(sample, device, (m, _d, group) => gpuBudget(after, m, group)));
        } else {
          const set = budgetSetting(after, registry.slots.memoryGroup(device)) ?? after.gpuBudgetBytes;
          if (set !== null) registry.setBudget(device, set);
        }
      }
      budgets = true;
    }
    if (JSON.stringify(before.thresholds) !== JSON.stringify(after.thresholds)) {
      registry.setThresholds(after.thresholds);
      budgets = true;
    }
    if (before.loadConcurrency !== after.loadConcurrency) registry.setMaxParallelLoads(after.loadConcurrency);
    for (const slot of SLOT_IDS) this.applySlot(slot, before, after);
    artifacts.configure(artifactConfig(after, this.token, this.o.env));
    if (budgets) await registry.rebalance('budget-change');
    if (after.cacheLimitBytes !== null && before.cacheLimitBytes !== after.cacheLimitBytes) this.o.enforceCacheLimit();
    if (before.cacheDir !== after.cacheDir || JSON.stringify(before.modelFolders) !== JSON.stringify(after.modelFolders)) this.o.rescanDisk?.();
  }

  private applySlot(slot: SlotId, before: Settings, after: Settings): void {
    const { registry } = this.o;
    const b = slotSettings(before, slot);
    const n = slotSettings(after, slot);
    try {
      if (b.pinned !== n.pinned) {
        if (n.pinned) registry.pin(slot);
        else registry.unpin(slot);
      }
      if (b.preload !== n.preload) registry.setPreload(slot, n.preload);
      if (b.idleTtlMs !== n.idleTtlMs || before.idleTtlMs !== after.idleTtlMs) registry.setIdleTtl(slot, n.idleTtlMs ?? after.idleTtlMs);
      if (n.device && b.device !== n.device) registry.setDevice(slot, n.device, { whenAvailable: true });
      if (JSON.stringify(b.source) !== JSON.stringify(n.source)) this.o.artifacts.setSlotSource(slot, n.source);
    } catch (e) {
      this.o.hub.report(e, `Applying ${slot}'s settings failed`);
    }
  }
}
