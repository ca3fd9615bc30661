/**
 * "Update available": checks each slot's model against its branch on the Hub at start
 * (in the background, when online, at most once a day) and on demand (checkUpdates).
 * The last results and when they were taken are kept in the data folder, so a restart
 * neither forgets them nor asks the Hub again within the day. Offline = unknown.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { toModelbayError } from '../../shared/errors/errors.js';
import type { SlotId } from '../../shared/slots/slots.js';
import type { SlotUpdate, UpdatesView } from '../../shared/artifacts/updates.js';
import { HubCacheLayout } from '../core/artifacts/cache/hf-cache-layout.js';
import { HubClient } from '../core/artifacts/hub/hub-client.js';
import type { ArtifactManager } from '../core/artifacts/manager/types.js';
import { resolveToken } from '../core/artifacts/hub/hub-environment.js';
import { artifactConfig } from '../core/artifacts/manager/artifact-config.js';
import type { SettingsStore } from '../core/state/settings-store.js';
import type { TokenStore } from '../core/state/token-store.js';
import { checkSlotUpdate, type UpdateCheckDeps, type UpdateTarget } from '../core/artifacts/manager/update-check.js';
import { writeFileAtomic } from '../core/fs/atomic-file.js';
import { SlotHistoryStore } from '../core/state/slot-history.js';
import type { EventHub } from './event-hub.js';
import { UpdateApplier, type UpdateApplierDeps } from './update-apply.js';

export const UPDATE_CHECK_EVERY_MS = 24 * 3600_000;

const StoredSchema = z.object({ lastCheckAt: z.number().nullable(), slots: z.array(z.looseObject({ slot: z.string() })) });

export interface UpdateServiceOptions {
  targets: () => UpdateTarget[];
  hub: () => UpdateCheckDeps['hub'];
  layout: () => HubCacheLayout;
  offline: () => boolean;
  /** `<data dir>/state/updates.json`. */
  stateFile: string;
  /** Each slot's revisions (`<data dir>/state/history.json`). */
  history: SlotHistoryStore;
  now: () => number;
  onChange: (view: UpdatesView) => void;
  report: (error: unknown, what: string) => void;
}

export class UpdateService {
  private results = new Map<SlotId, SlotUpdate>();
  private lastCheckAt: number | null = null;
  private running: Promise<UpdatesView> | null = null;
  /** applyUpdate and rollbackUpdate (set by updateServiceFor). */
  applier!: UpdateApplier;
  /** Downloads and verifies one file of a commit into the cache (updates, and the files a lockfile restore adds to a slot's own). */

  constructor(private readonly o: UpdateServiceOptions) {}

  view(): UpdatesView {
    return { checking: this.running !== null, lastCheckAt: this.lastCheckAt, slots: [...this.results.values()], history: this.o.history.all() };
  }

  /** A slot switched revision: its history moved and its update status must be taken again (awaited: no write outlives the command). */
  async switched(slot: SlotId): Promise<void> {
    this.o.onChange(this.view());
    await this.check(slot).catch((e: unknown) => this.o.report(e, `Checking ${slot} for an update failed`));
  }

  /** Earlier results survive a restart; a damaged file only means "never checked". */
  async load(): Promise<void> {
    await this.o.history.load();
    try {
      const parsed = StoredSchema.safeParse(JSON.parse(await readFile(this.o.stateFile, 'utf8')));
      if (!parsed.success) return;
      this.lastCheckAt = parsed.data.lastCheckAt;
      for (const s of parsed.data.slots as unknown as SlotUpdate[]) this.results.set(s.slot, s);
    } catch {
      // No file yet.
    }
  }

  /** At start: only when online and the last full check is a day old or more. */
  checkIfDue(): void {
    if (this.o.offline()) return;
    if (this.lastCheckAt !== null && this.o.now() - this.lastCheckAt < UPDATE_CHECK_EVERY_MS) return;
    this.check().catch((e: unknown) => this.o.report(e, 'Checking for model updates failed'));
  }

  /** One slot, or every slot with a model. */
  check(slot?: SlotId): Promise<UpdatesView> {
    const run = (this.running ?? Promise.resolve(this.view())).catch(() => undefined).then(() => this.checkNow(slot));
    const tracked = run.finally(() => {
      if (this.running === tracked) this.running = null;
      this.o.onChange(this.view());
    });
    this.running = tracked;
    this.o.onChange(this.view());
    return tracked;
  }

  private async checkNow(slot?: SlotId): Promise<UpdatesView> {
    const targets = this.o.targets().filter((t) => slot === undefined || t.slot === slot);
    const deps: UpdateCheckDeps = { hub: this.o.hub(), layout: this.o.layout(), now: this.o.now };
    for (const t of targets) {
      try {
        this.results.set(t.slot, await checkSlotUpdate(t, deps));
      } catch (e) {
        this.o.report(toModelbayError(e), `Checking ${t.slot} for an update failed`);
      }
    }
    if (slot === undefined) this.lastCheckAt = this.o.now();
    // Slots without a model any more have nothing to update.
    const live = new Set(this.o.targets().map((t) => t.slot));
    for (const s of [...this.results.keys()]) if (!live.has(s)) this.results.delete(s);
    await mkdir(dirname(this.o.stateFile), { recursive: true });
    await writeFileAtomic(this.o.stateFile, `${JSON.stringify({ lastCheckAt: this.lastCheckAt, slots: [...this.results.values()] }, null, 2)}\n`);
    return this.view();
  }
}

/** The service as the App runs it: targets from the catalog, the Hub and cache from the settings in force at each check. */
export function updateServiceFor(o: {
  artifacts: ArtifactManager;
  registry: UpdateApplierDeps['registry'];
  events: Pick<EventHub, 'activity'>;
  settings: SettingsStore;
  tokens: TokenStore;
  env: NodeJS.ProcessEnv;
  dataDir: string;
  now: () => number;
  onChange: (view: UpdatesView) => void;
  report: (error: unknown, what: string) => void;
}): UpdateService {
  const config = (): ReturnType<typeof artifactConfig> => artifactConfig(o.settings.get(), resolveToken(o.tokens, o.env), o.env);
  const hub = (): HubClient => {
    const cfg = config();
    return new HubClient({ endpoint: cfg.endpoint, token: cfg.token, offline: cfg.offline });
  };
  const layout = (): HubCacheLayout => new HubCacheLayout(config().cacheDir);
  const history = new SlotHistoryStore(join(o.dataDir, 'state', 'history.json'));
  const service = new UpdateService({
    history,
    targets: () => o.artifacts.catalog().filter((c) => c.repo && c.revision).map((c) => {
      const followed = history.get(c.slot);
      return { slot: c.slot, repo: c.repo as string, revision: c.revision as string, files: c.files, ...(followed?.repo === c.repo && followed.branch ? { branch: followed.branch } : {}) };
    }),
    hub, layout,
    offline: () => config().offline,
    stateFile: join(o.dataDir, 'state', 'updates.json'),
    now: o.now,
    onChange: o.onChange,
    report: o.report,
  });
  service.applier = new UpdateApplier({
    artifacts: o.artifacts, settings: o.settings, registry: o.registry, history, now: o.now,
    activity: (slot, kind, message) => o.events.activity({ kind, slot, message }),
    hub, layout,
    changed: (slot) => service.switched(slot),
  });
  return service;
}
