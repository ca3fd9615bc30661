/**
 * The commands of the "On disk" view: scan, assign a found model to a slot, delete a
 * cached revision. The App hands in what they need; nothing here reaches back into it.
 */
import type { CommandArgs, CommandResults } from '../../shared/contract/api.js';
import { ModelbayError } from '../../shared/errors/errors.js';
import type { ReadinessReport } from '../../shared/artifacts/artifacts.js';
import { slotSettings, type Settings, type SlotSettings } from '../../shared/settings/settings.js';
import type { SlotId } from '../../shared/slots/slots.js';
import { filesInUse, type SlotSnapshot } from '../../shared/slots/state.js';
import { assignDiskModel } from '../core/artifacts/manager/disk-assign.js';
import type { DiskDiscovery } from '../core/artifacts/cache/disk-discovery.js';
import type { ArtifactManager } from '../core/artifacts/manager/types.js';

type DiskCommand = 'scanDisk' | 'assignModel' | 'deleteRevision';
export type DiskHandlers = { [K in DiskCommand]: (args: CommandArgs<K>) => Promise<CommandResults[K]> };

export interface DiskHandlerDeps {
  discovery: DiskDiscovery;
  artifacts: ArtifactManager;
  settings: () => Settings;
  slots: () => SlotSnapshot[];
  /** Throws EMB-E007 when the slot is loaded, loading or unloading. */
  assertNotInUse: (slot: SlotId, what: string) => void;
  updateSlot: (slot: SlotId, patch: Partial<SlotSettings>) => Promise<void>;
  setReadiness: (report: ReadinessReport) => void;
}

export function createDiskHandlers(d: DiskHandlerDeps): DiskHandlers {
  return {
    scanDisk: async ({ wait }) => {
      if (wait) await d.discovery.scan();
      else d.discovery.scanInBackground();
      return d.discovery.view();
    },
    assignModel: async ({ slot, model }) => {
      d.assertNotInUse(slot, 'change its model');
      return assignDiskModel({
        discovery: d.discovery,
        artifacts: d.artifacts,
        currentSource: (s) => slotSettings(d.settings(), s).source,
        persist: (s, source) => d.updateSlot(s, { source }),
      }, slot, model);
    },
    deleteRevision: async ({ repo, commit }) => {
      const report = await d.discovery.scan();
      if (!report.repos.some((r) => r.repo === repo && r.revisions.some((v) => v.commit === commit))) {
        throw new ModelbayError('EMB-E134', `${repo}@${commit.slice(0, 12)} is not in the cache (${report.cacheDir}).`, { repo, commit });
      }
      // A slot running from this revision keeps it; so does one downloading into it.
      const users = new Set(await d.discovery.slotsUsing(repo, commit));
      const busy = d.slots().filter((s) => users.has(s.id) && filesInUse(s.state)).map((s) => s.id);
      const result = await d.discovery.deleteRevision(repo, commit, busy);
      d.setReadiness(await d.artifacts.readiness());
      return { repo, commit, removedBytes: result.removedBytes, keptShared: result.keptShared.length, disk: d.discovery.view() };
    },
  };
}
