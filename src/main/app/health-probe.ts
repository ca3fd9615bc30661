/** The health probe: one tiny embed on a loaded slot, timed and recorded, never counted as a use. */
import { ModelbayError, toModelbayError } from '../../shared/errors/errors.js';
import type { SlotId } from '../../shared/slots/slots.js';
import type { ProbeResult } from '../../shared/slots/usage.js';
import type { UsageTracker } from '../core/registry/slot-usage.js';

export const PROBE_TEXT = 'modelbay health probe';

/** Runs `embed` on the slot's session if it is loaded now (under a lease, no use counted); null when it is not. */
export type WithLoaded = (slot: SlotId, embed: (session: { embed(texts: string[]): Promise<{ dims: number }> }) => Promise<{ dims: number }>) => Promise<{ dims: number } | null>;

export async function runProbe(slot: SlotId, withLoaded: WithLoaded, usage: UsageTracker, clock: { now: () => number; elapsed: () => number }): Promise<ProbeResult> {
  const started = clock.elapsed();
  let result: ProbeResult;
  try {
    const out = await withLoaded(slot, (session) => session.embed([PROBE_TEXT]));
    // A probe must not load a model (that is a decision about memory): only a loaded slot is probed.
    if (out === null) return Promise.reject(new ModelbayError('EMB-E005', `${slot} is not loaded: load it, then probe it.`, { slot }));
    result = { slot, at: clock.now(), ok: true, ms: clock.elapsed() - started, dims: out.dims, error: null };
  } catch (e) {
    result = { slot, at: clock.now(), ok: false, ms: clock.elapsed() - started, dims: null, error: toModelbayError(e).toJSON() };
  }
  usage.probed(result);
  return result;
}

/**
 * Each slot's last state, so a slot is probed once when it becomes loaded: a model that
 * loads but cannot embed shows up now, not at the first request.
 */
export class FreshLoads {
  private readonly last = new Map<SlotId, string>();

  /** Whether this snapshot is the slot becoming loaded. */
  justLoaded(slot: { id: SlotId; state: string }): boolean {
    const was = this.last.get(slot.id);
    this.last.set(slot.id, slot.state);
    return slot.state === 'loaded' && was !== 'loaded';
  }
}
