/**
 * The whole command table, and the gate every command passes first: a known name, plain
 * data within the size limit, and the command's own schema. The table joins the core
 * commands (commands.ts) with the disk, alias, health and update commands.
 */
import {
  COMMAND_NAMES,
  COMMAND_SCHEMAS,
  isCommandName,
  MAX_COMMAND_BYTES,
  type CommandName,
} from '../../shared/contract/api.js';
import { ModelbayError } from '../../shared/errors/errors.js';
import type { SlotId } from '../../shared/slots/slots.js';
import { filesInUse, isDownloading } from '../../shared/slots/state.js';
import { slotStateClause } from '../../shared/slots/state-words.js';
import type { ProbeResult } from '../../shared/slots/usage.js';
import type { DiskDiscovery } from '../core/artifacts/cache/disk-discovery.js';
import { describeIssues } from '../core/state/settings-store.js';
import { createAliasHandlers } from './alias-handlers.js';
import { createHandlers, type CommandContext, type Handlers } from './commands.js';
import { createDiskHandlers } from './disk-handlers.js';
import { createLayoutHandlers } from './layouts/layout-handlers.js';
import { LastLockStore } from '../core/layouts/last-lock.js';
import { join } from 'node:path';
import type { UpdateService } from './update-service.js';

export interface HandlerTableContext extends CommandContext {
  discovery: DiskDiscovery;
  updates: UpdateService;
  probe: (slot: SlotId) => Promise<ProbeResult>;
}

export function buildHandlerTable(c: HandlerTableContext): Handlers {
  const { registry } = c;
  const table: Handlers = {
    ...createHandlers(c),
    probe: ({ slot }) => c.probe(slot),
    checkUpdates: ({ slot }) => c.updates.check(slot),
    applyUpdate: ({ slot }) => c.updates.applier.apply(slot),
    rollbackUpdate: ({ slot }) => c.updates.applier.rollback(slot),
    ...createAliasHandlers({
      settings: c.settings,
      changed: (slot, alias, before) => {
        c.sync.emit();
        c.hub.activity({ kind: 'info', slot, message: alias === null ? `${slot} no longer has an alias (was ${before ?? '—'}).` : `${slot} is now named ${alias}${before ? ` (was ${before})` : ''}.` });
      },
    }),
    ...createDiskHandlers({
      discovery: c.discovery,
      artifacts: c.artifacts,
      settings: () => c.settings.get(),
      slots: () => registry.snapshots(),
      assertNotInUse: (slot, what) => {
        const state = registry.snapshot(slot).state;
        if (filesInUse(state)) {
          throw new ModelbayError('EMB-E007', `${slotStateClause(slot, state)}: ${isDownloading(state) ? 'pause or cancel it' : 'unload it'} before you ${what}.`, { slot, state });
        }
      },
      updateSlot: async (slot, patch) => {
        await c.settings.updateSlot(slot, patch);
        registry.refreshEstimates([slot]);
        c.sync.emit();
      },
      setReadiness: (report) => c.setReadiness(report),
    }),
    ...createLayoutHandlers({
      registry, artifacts: c.artifacts, settings: c.settings,
      cacheDir: () => c.sync.view().cacheDir,
      cudaProvider: () => c.snapshot().runtime.cudaProvider,
      version: () => c.snapshot().runtime.version,
      now: () => Date.now(),
      lastLock: new LastLockStore(join(c.sync.dataDir, 'state', 'layout-lock.json')),
      // Pins, preload and aliases go through their own commands: persisted, applied and announced as from the dashboard.
      commands: { pin: (a) => table.pin(a, a), unpin: (a) => table.unpin(a, a), setPreload: (a) => table.setPreload(a, a), setAlias: (a) => table.setAlias(a, a) },
      settingsChanged: () => c.sync.emit(),
      setReadiness: (report) => c.setReadiness(report),
      activity: (slot, kind, message) => c.hub.activity({ kind, slot, message }),
    }),
  };
  return table;
}

/** Validate one command's name and input (EMB-E404, EMB-E401, EMB-E405); `raw` is the input as sent (settings patches merge only what was sent). */
export function parseCommand(name: string, rawInput: unknown): { name: CommandName; args: unknown; raw: unknown } {
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
  return { name, args: parsed.data, raw: input };
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
