/**
 * PLACEHOLDER — replaced at merge by the real artifact manager from the `catalog` branch
 * (same path, same signature). It knows no models: every slot's catalog status is
 * 'none' and readiness is 'no-model', so the app starts and shows empty slots.
 */
import type { VerifyReport } from '../../../shared/api.js';
import type { CatalogSlotView, ReadinessReport, SlotDownloadProgress } from '../../../shared/artifacts.js';
import { ModelbayError } from '../../../shared/errors.js';
import type { SlotSource } from '../../../shared/settings.js';
import { SLOT_IDS, type SlotId } from '../../../shared/slots.js';
import type { ArtifactState } from '../../../shared/state.js';
import type { SlotFiles } from '../runtime/session-factory.js';
import type { ArtifactConfig, ArtifactListener, ArtifactManager } from './types.js';

export interface ArtifactManagerOptions {
  config: ArtifactConfig;
  stateDir: string;
  catalogPath: string;
  sources?: Partial<Record<SlotId, SlotSource>>;
  now?: () => number;
}

function noModel(slot: SlotId): ModelbayError {
  return new ModelbayError('EMB-E118', `${slot} has no model in this build.`, { slot });
}

export function createArtifactManager(options: ArtifactManagerOptions): Promise<ArtifactManager> {
  const now = options.now ?? Date.now;
  const listeners = new Set<ArtifactListener>();
  const view = (slot: SlotId): CatalogSlotView => ({
    slot, status: 'none', repo: null, revision: null, variant: null, files: [], dims: null, pooling: null, license: null, gated: false,
    note: 'No model is configured for this slot yet.',
  });
  const progress = (slot: SlotId): SlotDownloadProgress => ({
    slot, phase: 'failed', bytes: 0, total: null, speedBps: 0, etaSeconds: null, files: [], error: noModel(slot).toJSON(),
  });
  const report = (): ReadinessReport => ({
    at: now(), ready: 0, total: SLOT_IDS.length, totalBytes: 0, presentBytes: 0, missingBytes: 0, computeMs: 0,
    slots: SLOT_IDS.map((slot) => ({
      slot, status: 'no-model', reason: 'No model is configured for this slot.', code: 'EMB-E118', repo: null, revision: null, totalBytes: 0, presentBytes: 0, files: [],
    })),
  });
  const manager: ArtifactManager = {
    on: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    configure: () => undefined,
    catalog: () => SLOT_IDS.map(view),
    setSlotSource: (slot) => view(slot),
    fileBytes: () => null,
    readiness: () => Promise.resolve(report()),
    states: () => Object.fromEntries(SLOT_IDS.map((s) => [s, 'missing'])) as Record<SlotId, ArtifactState>,
    download: (slot) => Promise.reject(noModel(slot)),
    downloadAll: () => Promise.resolve([]),
    pause: (slot) => progress(slot),
    resume: (slot) => progress(slot),
    cancel: (slot) => progress(slot),
    progress: () => [],
    verify: (slot): Promise<VerifyReport> => Promise.resolve({ slot, ok: false, files: [] }),
    clear: () => Promise.resolve(report()),
    clearAll: () => Promise.resolve(report()),
    enforceCacheLimit: () => Promise.resolve({ removedBytes: 0, removed: [] }),
    prepare: (slot) => Promise.reject(noModel(slot)),
    resolveFiles: (slot): Promise<SlotFiles> => Promise.reject(noModel(slot)),
    close: () => Promise.resolve(),
  };
  return Promise.resolve(manager);
}
