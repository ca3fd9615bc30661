import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifactManager } from '../../../../../src/main/core/artifacts/manager/artifact-manager.js';
import type { ArtifactEvent, ArtifactManager } from '../../../../../src/main/core/artifacts/manager/types.js';
import type { SlotSource } from '../../../../../src/shared/settings/settings.js';
import type { SlotId } from '../../../../../src/shared/slots/slots.js';
import { ScriptedDownloader } from '../../../../fixtures/scripted-downloader.js';
import { writeCatalog, type TestSlot } from '../../../../../src/devkit/artifacts/test-catalog.js';
import { nodeMetadataFs, type MetadataFs } from '../../../../../src/main/core/artifacts/cache/revision-refs.js';

export interface Harness {
  dir: string;
  cache: string;
  stateDir: string;
  manager: ArtifactManager;
  downloader: ScriptedDownloader;
  events: ArtifactEvent[];
  fsCalls: Array<{ op: string; path: string }>;
  clock: { t: number };
  close(): Promise<void>;
}

/** A manager over a temp cache and state folder; `prepareCache` writes files before it starts. */
export async function harness(
  slots: Partial<Record<SlotId, TestSlot>>,
  opts: { prepareCache?: (cache: string, dir: string) => Promise<void>; cacheLimitBytes?: number | null; sources?: Partial<Record<SlotId, SlotSource>>; closeGraceMs?: number } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'mb-artifacts-'));
  const cache = join(dir, 'hub');
  const stateDir = join(dir, 'state');
  await mkdir(cache, { recursive: true });
  await opts.prepareCache?.(cache, dir);
  const catalogPath = await writeCatalog(dir, slots);
  const fsCalls: Array<{ op: string; path: string }> = [];
  const countingFs: MetadataFs = {
    stat: (p) => { fsCalls.push({ op: 'stat', path: p }); return nodeMetadataFs.stat(p); },
    realpath: (p) => { fsCalls.push({ op: 'realpath', path: p }); return nodeMetadataFs.realpath(p); },
    readFile: (p, e) => { fsCalls.push({ op: 'readFile', path: p }); return nodeMetadataFs.readFile(p, e); },
  };
  const downloader = new ScriptedDownloader(cache);
  // Far in the future so recorded last use, not the files' atime, orders the cache limit.
  const clock = { t: Date.now() + 10 ** 9 };
  const manager = await createArtifactManager({
    config: { cacheDir: cache, cacheLimitBytes: opts.cacheLimitBytes ?? null, endpoint: 'http://127.0.0.1:9', token: null, offline: false, downloadConcurrency: 2 },
    stateDir,
    catalogPath,
    downloader,
    now: () => clock.t,
    metadataFs: countingFs,
    sources: opts.sources ?? {},
    ...(opts.closeGraceMs !== undefined ? { closeGraceMs: opts.closeGraceMs } : {}),
  });
  const events: ArtifactEvent[] = [];
  manager.on((e) => events.push(e));
  return {
    dir, cache, stateDir, manager, downloader, events, fsCalls, clock,
    async close() {
      await manager.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const C1 = '1'.repeat(40);
export const C2 = '2'.repeat(40);
