/** The health probe: one tiny embed on a loaded slot, timed and recorded, never counted as a use. */
import { ModelbayError, toModelbayError } from '../../shared/errors.js';
import type { SlotId } from '../../shared/slots.js';
import type { ProbeResult } from '../../shared/usage.js';
import type { UsageTracker } from '../core/registry/slot-usage.js';

export const PROBE_TEXT = 'modelbay health probe';

export interface ProbeSession {
  embed(texts: string[]): Promise<{ dims: number }>;
}

export async function runProbe(
  slot: SlotId,
  session: ProbeSession | null,
  usage: UsageTracker,
  clock: { now: () => number; elapsed: () => number },
): Promise<ProbeResult> {
  // A probe must not load a model (that is a decision about memory): only a loaded slot is probed.
  if (!session) throw new ModelbayError('EMB-E005', `${slot} is not loaded: load it, then probe it.`, { slot });
  const started = clock.elapsed();
  let result: ProbeResult;
  try {
    const out = await session.embed([PROBE_TEXT]);
    result = { slot, at: clock.now(), ok: true, ms: clock.elapsed() - started, dims: out.dims, error: null };
  } catch (e) {
    result = { slot, at: clock.now(), ok: false, ms: clock.elapsed() - started, dims: null, error: toModelbayError(e).toJSON() };
  }
  usage.probed(result);
  return result;
}
