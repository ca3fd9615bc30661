import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createArtifactManager } from '../../../../../src/main/core/artifacts/manager/artifact-manager.js';
import { writeCatalog } from '../../../../../src/devkit/artifacts/test-catalog.js';
import { downloaderTuning, PARTS_MIN_BYTES } from '../../../../../src/main/core/artifacts/manager/downloader-tuning.js';
import { PART_GROWTH } from '../../../../../src/main/core/artifacts/transfer/part-count.js';
import { SettingsPatchSchema, defaultSettings } from '../../../../../src/shared/settings/settings.js';
import { artifactConfig } from '../../../../../src/main/core/artifacts/manager/artifact-config.js';

describe('download settings reach the downloader', () => {
  it('defaults: 1 KiB/s over 30 s, Range parts for large files, grown while they pay up to the setting', () => {
    const config = artifactConfig(defaultSettings(), { token: null, source: null }, {});
    expect(downloaderTuning(config, config)).toEqual({
      lowSpeed: { limitBps: 1024, windowMs: 30_000 },
      parallelParts: { minBytes: PARTS_MIN_BYTES, parts: defaultSettings().downloadPartsPerFile, grow: PART_GROWTH },
    });
  });

  it('0 turns the floor off, 1 part is one stream; a change names only what it touches', () => {
    const full = artifactConfig(defaultSettings(), { token: null, source: null }, {});
    expect(downloaderTuning({ downloadLowSpeedBps: 0 }, full)).toEqual({ lowSpeed: null });
    expect(downloaderTuning({ downloadLowSpeedSeconds: 5 }, full)).toEqual({ lowSpeed: { limitBps: 1024, windowMs: 5000 } });
    expect(downloaderTuning({ downloadPartsPerFile: 1 }, full)).toEqual({ parallelParts: null });
    expect(downloaderTuning({ downloadConcurrency: 2 }, full)).toEqual({});
  });

  it('a patch of one download setting parses to exactly that field', () => {
    const parsed = SettingsPatchSchema.parse({ downloadLowSpeedBps: 4096 });
    expect(parsed.downloadLowSpeedBps).toBe(4096);
    expect(SettingsPatchSchema.safeParse({ downloadPartsPerFile: 0 }).success).toBe(false);
    expect(SettingsPatchSchema.safeParse({ downloadLowSpeedSeconds: 0 }).success).toBe(false);
  });
});

describe('the artifact manager hands the download settings to its downloader', () => {
  it('at start and on every change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mb-tuning-'));
    const seen: unknown[] = [];
    const downloader = {
      configure: (c: unknown) => { seen.push(c); },
      download: () => Promise.reject(new Error('unused')),
      discardPartial: () => Promise.resolve(),
    };
    const config = { ...artifactConfig(defaultSettings(), { token: null, source: null }, {}), cacheDir: join(dir, 'hub') };
    const manager = await createArtifactManager({ config, stateDir: join(dir, 'state'), catalogPath: await writeCatalog(dir, {}), downloader });
    expect(seen[0]).toMatchObject({ lowSpeed: { limitBps: 1024, windowMs: 30_000 }, parallelParts: { minBytes: PARTS_MIN_BYTES, parts: 4 } });
    manager.configure({ downloadPartsPerFile: 1, downloadLowSpeedBps: 0 });
    expect(seen.at(-1)).toEqual({ lowSpeed: null, parallelParts: null });
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  });
});
