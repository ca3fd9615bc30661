/** Download progress of a running server, shown while a command waits for its downloads. */
import type { SlotDownloadProgress } from '../shared/artifacts/artifacts.js';
import type { SlotId } from '../shared/slots/slots.js';
import type { Output, ParsedCommand } from './commands-table.js';
import { ProgressLine } from './progress-line.js';
import type { ServerClient } from './server-client.js';

/**
 * Follows download progress while `work` runs: JSON lines with --json, a progress line on
 * a terminal, for the downloads `wanted` picks (an update's or a restore's carry their
 * revision, so the line names them).
 */
export async function withDownloadProgress<T>(p: ParsedCommand, client: ServerClient, io: Output, wanted: (d: SlotDownloadProgress) => boolean, work: () => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const latest = new Map<SlotId, SlotDownloadProgress>();
  const bar = !p.json && io.isTTY ? new ProgressLine((t) => io.err(t)) : null;
  const following = client.events((event) => {
    if (event.type !== 'download' || !wanted(event.progress)) return;
    latest.set(event.progress.slot, event.progress);
    if (p.json) io.out(`${JSON.stringify({ type: 'progress', ...event.progress })}\n`);
    else bar?.show([...latest.values()]);
  }, stop.signal);
  following.catch(() => undefined);
  try {
    const result = await work();
    bar?.done();
    return result;
  } finally {
    stop.abort();
    await following.catch(() => undefined);
  }
}

