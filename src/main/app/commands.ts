/**
 * The command table. Every command is validated (by its schema before it gets here, then
 * by what only the core knows), persisted, and only then applied: a refused request, or
 * one whose change cannot be saved, changes nothing in memory or on disk.
 */
import type { CommandArgs, CommandName, CommandResults } from '../../shared/contract/api.js';
import { ModelbayError } from '../../shared/errors/errors.js';
import type { SlotSettings } from '../../shared/settings/settings.js';
import type { SlotId } from '../../shared/slots/slots.js';
import { isDownloading, isInUse } from '../../shared/slots/state.js';
import { noModelSentence, slotStateClause } from '../../shared/slots/state-words.js';
import type { ArtifactManager } from '../core/artifacts/manager/types.js';
import type { ModelRegistry } from '../core/registry/registry.js';
import { splitEmbeddings, type OnnxModelSession } from '../core/runtime/index.js';
import type { SettingsStore } from '../core/state/settings-store.js';
import type { LogAccess } from '../logging/log-access.js';
import type { UsageTracker } from '../core/registry/slot-usage.js';
import type { EventHub } from './event-hub.js';
import type { SettingsSync } from './settings-sync.js';

/** `raw` is the validated input as sent, before zod filled in defaults (settings patches merge only what was sent). */
export type Handlers = { [K in CommandName]: (args: CommandArgs<K>, raw: unknown) => Promise<CommandResults[K]> };
/** Commands whose handlers live in their own files (disk, aliases, health). */
export type OwnFileCommand = 'scanDisk' | 'assignModel' | 'deleteRevision' | 'setAlias' | 'probe' | 'checkUpdates' | 'applyUpdate' | 'rollbackUpdate'
  | 'lockLayout' | 'verifyLock' | 'previewRestore' | 'restoreLock' | 'layoutStatus' | 'exportLayout';

export interface CommandContext {
  registry: ModelRegistry<OnnxModelSession>;
  artifacts: ArtifactManager;
  settings: SettingsStore;
  sync: SettingsSync;
  hub: EventHub;
  snapshot: () => CommandResults['getSnapshot'];
  /** The readiness report changed: keep it and tell the dashboard. */
  setReadiness: (report: CommandResults['refreshReadiness']) => CommandResults['refreshReadiness'];
  /** A slot was used (LRU order, use count moved): runtime figures may follow. */
  touched: () => void;
  logs?: LogAccess;
  /** Health and usage per slot: every embed's outcome and latency. */
  usage: UsageTracker;
}

export function createHandlers(c: CommandContext): Omit<Handlers, OwnFileCommand> {
  const r = c.registry;
  const a = c.artifacts;

  /** Persist a slot's settings first; apply only what was saved. */
  const persistSlot = async (slot: SlotId, patch: Partial<SlotSettings>, apply: () => void): Promise<void> => {
    await c.settings.updateSlot(slot, patch);
    apply();
    // The dashboard reads a slot's own choices (TTL unset vs. set, its source) from the settings view.
    c.sync.emit();
  };

  const assertNotInUse = (slot: SlotId, what: string): void => {
    const state = r.snapshot(slot).state;
    if (isInUse(state)) {
      throw new ModelbayError('EMB-E007', `${slotStateClause(slot, state)}: unload it before you ${what}.`, { slot, state });
    }
  };

  /** A pin or a preload of a slot with no model would hold nothing: refused before anything is saved. */
  const assertHasModel = (slot: SlotId, what: string): void => {
    if (a.catalog().find((v) => v.slot === slot)?.status === 'none') {
      throw new ModelbayError('EMB-E118', noModelSentence(slot, what), { slot });
    }
  };

  return {
    getSnapshot: () => Promise.resolve(c.snapshot()),
    load: async ({ slot }) => {
      // Idempotent for the UI; scripts learn that nothing happened.
      const alreadyLoaded = r.snapshot(slot).state === 'loaded';
      await r.load(slot);
      return { ...r.snapshot(slot), alreadyLoaded };
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
      assertHasModel(slot, 'pin it');
      await persistSlot(slot, { pinned: true }, () => r.pin(slot));
      return r.snapshot(slot);
    },
    unpin: async ({ slot }) => {
      await persistSlot(slot, { pinned: false }, () => r.unpin(slot));
      return r.snapshot(slot);
    },
    setPreload: async ({ slot, preload }) => {
      if (preload) assertHasModel(slot, 'preload it');
      await persistSlot(slot, { preload }, () => r.setPreload(slot, preload));
      return r.snapshot(slot);
    },
    setDevice: async ({ slot, device }) => {
      if (!r.hasDevice(device)) {
        throw new ModelbayError('EMB-E008', `Unknown device ${JSON.stringify(device)}.`, { device, known: r.devices().map((d) => d.device) });
      }
      const state = r.snapshot(slot).state;
      if (r.snapshot(slot).device !== device && isInUse(state)) {
        throw new ModelbayError('EMB-E007', `${slotStateClause(slot, state)}: unload it before moving it to ${device}.`, { slot, state });
      }
      await persistSlot(slot, { device }, () => {
        if (r.snapshot(slot).device !== device) r.setDevice(slot, device);
      });
      return r.snapshot(slot);
    },
    setIdleTtl: async ({ slot, ttlMs }) => {
      await persistSlot(slot, { idleTtlMs: ttlMs }, () => r.setIdleTtl(slot, ttlMs ?? c.settings.get().idleTtlMs));
      return r.snapshot(slot);
    },
    setSlotSource: async ({ slot, source }) => {
      assertNotInUse(slot, 'change its model');
      const state = r.snapshot(slot).state;
      if (isDownloading(state)) {
        throw new ModelbayError('EMB-E007', `${slotStateClause(slot, state)}: pause or cancel it before changing its model.`, { slot, state });
      }
      const previous = c.settings.get().slots[slot]?.source ?? null;
      await c.settings.updateSlot(slot, { source });
      let view;
      try {
        view = a.setSlotSource(slot, source);
      } catch (e) {
        // Not applied: take the saved change back so disk and memory agree.
        await c.settings.updateSlot(slot, { source: previous }).catch(() => undefined);
        throw e;
      }
      r.refreshEstimates([slot]);
      c.sync.emit();
      return view;
    },
    download: ({ slot }) => a.download(slot),
    downloadAll: async () => ({ results: await a.downloadAll() }),
    pauseDownload: ({ slot }) => Promise.resolve(a.pause(slot)),
    resumeDownload: ({ slot }) => Promise.resolve(a.resume(slot)),
    cancelDownload: ({ slot }) => Promise.resolve(a.cancel(slot)),
    verify: ({ slot }) => a.verify(slot),
    clearSlot: async ({ slot }) => {
      assertNotInUse(slot, 'delete its files');
      return c.setReadiness(await a.clear(slot));
    },
    clearCache: async () => {
      const busy = r.snapshots().filter((s) => s.state === 'loaded' || s.state === 'loading').map((s) => s.id);
      if (busy.length > 0) {
        throw new ModelbayError('EMB-E007', `Unload ${busy.join(', ')} before clearing the cache.`, { slots: busy });
      }
      return c.setReadiness(await a.clearAll());
    },
    refreshReadiness: async () => c.setReadiness(await a.readiness()),
    embed: async ({ slot, texts }) => {
      // The lease keeps the session alive until the vectors are back, whatever unloads meanwhile.
      let measured = false;
      let result;
      try {
        result = await r.use(slot, (session) => {
          measured = true;
          return c.usage.measure(slot, texts.length, () => session.embed(texts));
        });
      } catch (e) {
        // A failure to get the session at all (the load) counts against the slot too; measure() recorded the rest.
        if (!measured) c.usage.failure(slot, e);
        throw e;
      }
      // A use of a loaded slot changes no state in the registry, but its figures moved (use count, LRU order).
      c.hub.emit({ type: 'slot', slot: r.snapshot(slot) });
      c.touched();
      return { slot, dims: result.dims, vectors: splitEmbeddings(result).map((v) => Array.from(v)) };
    },
    updateSettings: (_patch, raw) => c.sync.update(raw),
    setToken: ({ token }) => Promise.resolve(c.sync.setToken(token)),
    previewLoad: ({ slot }) => Promise.resolve(r.previewLoad(slot)),
    readLog: async ({ lines }) => ({ file: c.logs?.file ?? null, lines: (await c.logs?.tail(lines)) ?? [] }),
    openLogs: async () => ({ opened: (await c.logs?.open?.()) ?? false, path: c.logs?.dir ?? null }),
  };
}
