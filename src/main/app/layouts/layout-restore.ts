/**
 * Restoring a lockfile on this machine. Per slot: assign the locked repository at the
 * locked commit (a source pinned to the commit, never the branch), download through the
 * normal download queue (progress events as for any download), fetch the slot's other
 * locked files (config.json…), and check every file against the lockfile's sha256 — not
 * only the Hub's. A slot that fails (commit gone, gated without a token, bytes that differ)
 * gets its coded error and goes back to its previous model; the others still restore.
 * Then, for the slots that verified: devices (a device this machine lacks is kept as the
 * wanted one and the slot runs where placement puts it meanwhile, as a settings change
 * would), aliases, pins and preload, through the same commands the dashboard uses.
 */
import type { CommandArgs, CommandResults } from '../../../shared/contract/api.js';
import type { ReadinessReport } from '../../../shared/artifacts/artifacts.js';
import { ModelbayError, toModelbayError } from '../../../shared/errors/errors.js';
import type { LockedSlot, Lockfile, RestoreSlotResult } from '../../../shared/layouts/layouts.js';
import type { SlotSource } from '../../../shared/settings/settings.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import { downloadSentence, slotStateClause } from '../../../shared/slots/state-words.js';
import { isBusy, type DeviceId, type SlotState } from '../../../shared/slots/state.js';
import { HubCacheLayout } from '../../core/artifacts/cache/hf-cache-layout.js';
import type { ArtifactManager } from '../../core/artifacts/manager/types.js';
import { problemLines, verifyLockedSlot } from '../../core/layouts/lock-build.js';
import type { SettingsStore } from '../../core/state/settings-store.js';
import { defaultDevice } from '../placement.js';


type Command<K extends 'pin' | 'unpin' | 'setPreload' | 'setAlias'> = (args: CommandArgs<K>) => Promise<CommandResults[K]>;

export interface RestoreDeps {
  registry: {
    snapshot(slot: SlotId): { state: SlotState; device: DeviceId; pinned: boolean; preload: boolean };
    hasDevice(device: DeviceId): boolean;
    devices(): Array<{ device: DeviceId }>;
    unload(slot: SlotId): Promise<void>;
    setDevice(slot: SlotId, device: DeviceId, options?: { whenAvailable?: boolean }): void;
    refreshEstimates(slots: readonly SlotId[]): void;
  };
  artifacts: Pick<ArtifactManager, 'catalog' | 'setSlotSource' | 'download' | 'downloadRevision' | 'readiness'>;
  settings: SettingsStore;
  cacheDir: () => string;
  cudaProvider: () => boolean;
  commands: { pin: Command<'pin'>; unpin: Command<'unpin'>; setPreload: Command<'setPreload'>; setAlias: Command<'setAlias'> };
  /** Slot settings changed: tell the dashboard. */
  settingsChanged: () => void;
  setReadiness: (report: ReadinessReport) => void;
  activity: (slot: SlotId | null, kind: 'info' | 'error', message: string) => void;
}

/** The slot's model as the lockfile pins it: the commit, the model file, its external data and tokenizer. */
export function lockedSource(s: LockedSlot): SlotSource {
  const model = s.files.find((f) => f.role === 'model');
  if (!model) throw new ModelbayError('EMB-E150', `The lockfile lists no model file for ${s.slot}.`, { slot: s.slot });
  return {
    repo: s.repo,
    revision: s.revision,
    model: model.path,
    externalData: s.files.filter((f) => f.role === 'external-data').map((f) => f.path),
    tokenizer: s.files.find((f) => f.role === 'tokenizer')?.path ?? null,
    pooling: s.pooling ?? 'mean',
    dims: s.dims,
  };
}

function sameSource(a: SlotSource | null | undefined, b: SlotSource): boolean {
  return !!a && a.repo === b.repo && a.revision === b.revision && a.model === b.model && a.tokenizer === b.tokenizer &&
    a.pooling === b.pooling && a.dims === b.dims && a.externalData.join('\n') === b.externalData.join('\n');
}

export class LayoutRestorer {
  constructor(private readonly d: RestoreDeps) {}

  /** Where a slot locked to `wanted` runs on this machine: there when it exists, else where placement puts slots. */
  deviceFor(wanted: DeviceId): DeviceId {
    const r = this.d.registry;
    if (r.hasDevice(wanted)) return wanted;
    const gpus = r.devices().map((x) => x.device).filter((x) => x !== 'cpu');
    return defaultDevice(this.d.cudaProvider(), (x) => r.hasDevice(x), gpus.length > 0 ? gpus : undefined);
  }

  async restore(lock: Lockfile): Promise<CommandResults['restoreLock']> {
    // Files first, every slot at once through the download queue (its concurrency setting applies).
    const fetched = await Promise.all(lock.slots.map((s) => this.fetchSlot(s)));
    this.d.setReadiness(await this.d.artifacts.readiness());
    const results: RestoreSlotResult[] = [];
    // Aliases may swap between slots: free every locked alias held by another slot first.
    const ok = lock.slots.filter((_, i) => fetched[i]?.ok);
    await this.freeAliases(ok);
    for (const [i, s] of lock.slots.entries()) {
      const f = fetched[i] as RestoreSlotResult;
      if (!f.ok) {
        results.push(f);
        continue;
      }
      try {
        results.push({ ...f, device: await this.configure(s) });
      } catch (e) {
        const err = toModelbayError(e);
        this.d.activity(s.slot, 'error', `${s.slot}: its files are restored, but ${err.message}`);
        results.push({ ...f, ok: false, error: err.toJSON() });
      }
    }
    const good = results.filter((r) => r.ok).length;
    this.d.activity(null, good === results.length ? 'info' : 'error', `Restored ${good}/${results.length} locked slots${good < results.length ? `; failed: ${results.filter((r) => !r.ok).map((r) => `${r.slot} (${r.error?.code ?? '?'})`).join(', ')}` : ''}.`);
    return { ok: good === results.length, slots: results };
  }

  private async fetchSlot(s: LockedSlot): Promise<RestoreSlotResult> {
    const used = this.deviceFor(s.device);
    const base: RestoreSlotResult = { slot: s.slot, ok: false, error: null, device: { wanted: s.device, used, fellBack: used !== s.device }, verify: null };
    const state = this.d.registry.snapshot(s.slot).state;
    if (isBusy(state)) {
      return { ...base, error: new ModelbayError('EMB-E007', `${slotStateClause(s.slot, state)}: restore it when that is done.`, { slot: s.slot, state }).toJSON() };
    }
    const source = lockedSource(s);
    const previous = this.d.settings.get().slots[s.slot]?.source ?? null;
    const switching = !sameSource(previous, source);
    try {
      if (switching) await this.assign(s.slot, source);
    } catch (e) {
      return { ...base, error: toModelbayError(e).toJSON() };
    }
    try {
      let p;
      try {
        p = await this.d.artifacts.download(s.slot);
      } catch (e) {
        // A damaged blob already in the cache is marked bad by the failed run; the next one fetches it anew.
        if (toModelbayError(e).code !== 'EMB-E108') throw e;
        this.d.activity(s.slot, 'info', `${s.slot}: a file in the cache did not match its checksum; downloading it again.`);
        p = await this.d.artifacts.download(s.slot);
      }
      if (p.phase !== 'done') throw new ModelbayError('EMB-E114', downloadSentence(s.slot, p.phase), { slot: s.slot, phase: p.phase });
      // The slot's config files (not part of its model) come through the same queue, labelled as the restore.
      const extra = s.files.filter((x) => x.role === 'config' || x.role === 'other').map((f) => ({ path: f.path, role: f.role, sha256: f.sha256, size: f.size }));
      if (extra.length > 0) await this.d.artifacts.downloadRevision(s.slot, { kind: 'restore', from: previous?.revision ?? null, to: s.revision }, extra);
      const verify = await verifyLockedSlot(s, new HubCacheLayout(this.d.cacheDir()));
      if (!verify.ok) {
        const lines = problemLines(verify, s);
        return await this.undo(s.slot, previous, switching, { ...base, verify, error: new ModelbayError('EMB-E108', `${s.slot} does not match the lockfile: ${lines.join('; ')}.`, { slot: s.slot, problems: lines }).toJSON() });
      }
      return { ...base, ok: true, verify };
    } catch (e) {
      return this.undo(s.slot, previous, switching, { ...base, error: toModelbayError(e).toJSON() });
    }
  }

  /** Persist first, then apply; a source the artifact manager refuses is taken back out of the settings. */
  private async assign(slot: SlotId, source: SlotSource): Promise<void> {
    if (this.d.registry.snapshot(slot).state === 'loaded') await this.d.registry.unload(slot);
    const before = this.d.settings.get().slots[slot]?.source ?? null;
    await this.d.settings.updateSlot(slot, { source });
    try {
      this.d.artifacts.setSlotSource(slot, source);
    } catch (e) {
      await this.d.settings.updateSlot(slot, { source: before }).catch(() => undefined);
      throw e;
    }
    this.d.registry.refreshEstimates([slot]);
    this.d.settingsChanged();
  }

  /** A slot that did not restore keeps the model it had. */
  private async undo(slot: SlotId, previous: SlotSource | null, switched: boolean, result: RestoreSlotResult): Promise<RestoreSlotResult> {
    this.d.activity(slot, 'error', `${slot} was not restored: ${result.error?.message ?? 'failed'}`);
    if (!switched) return result;
    try {
      await this.d.settings.updateSlot(slot, { source: previous });
      this.d.artifacts.setSlotSource(slot, previous);
      this.d.registry.refreshEstimates([slot]);
      this.d.settingsChanged();
    } catch {
      // The failure already reported is the one that matters; the slot shows its state.
    }
    return result;
  }

  private async freeAliases(slots: LockedSlot[]): Promise<void> {
    const settings = this.d.settings.get();
    for (const s of slots) {
      if (s.alias === null) continue;
      for (const [other, own] of Object.entries(settings.slots)) {
        if (other !== s.slot && own?.alias === s.alias) {
          await this.d.commands.setAlias({ slot: other as SlotId, alias: null });
          this.d.activity(other as SlotId, 'info', `${other} gave up the alias ${s.alias}: the lockfile gives it to ${s.slot}.`);
        }
      }
    }
  }

  private async configure(s: LockedSlot): Promise<RestoreSlotResult['device']> {
    const r = this.d.registry;
    if ((this.d.settings.get().slots[s.slot]?.device ?? r.snapshot(s.slot).device) !== s.device) {
      if (r.hasDevice(s.device) && r.snapshot(s.slot).device !== s.device && r.snapshot(s.slot).state === 'loaded') await r.unload(s.slot);
      await this.d.settings.updateSlot(s.slot, { device: s.device });
      // As a settings change does: a device not (yet) on this machine is remembered; the slot runs where placement puts it.
      r.setDevice(s.slot, s.device, { whenAvailable: true });
      this.d.settingsChanged();
    }
    const used = r.snapshot(s.slot).device;
    if (used !== s.device) this.d.activity(s.slot, 'info', `${s.slot} is locked to ${s.device}, which this machine does not have: it runs on ${used}.`);
    const current = this.d.settings.get().slots[s.slot]?.alias ?? null;
    if (current !== s.alias) await this.d.commands.setAlias({ slot: s.slot, alias: s.alias });
    if (r.snapshot(s.slot).pinned !== s.pinned) await (s.pinned ? this.d.commands.pin({ slot: s.slot }) : this.d.commands.unpin({ slot: s.slot }));
    if (r.snapshot(s.slot).preload !== s.preload) await this.d.commands.setPreload({ slot: s.slot, preload: s.preload });
    return { wanted: s.device, used, fellBack: used !== s.device };
  }
}
