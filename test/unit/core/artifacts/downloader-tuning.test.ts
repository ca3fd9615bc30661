import { describe, expect, it } from 'vitest';
import { downloaderTuning, PARTS_MIN_BYTES } from '../../../../src/main/core/artifacts/downloader-tuning.js';
import { SettingsPatchSchema, defaultSettings } from '../../../../src/shared/settings.js';
import { artifactConfig } from '../../../../src/main/core/state/hub-environment.js';

describe('download settings reach the downloader', () => {
  it('defaults: 1 KiB/s over 30 s, Range parts for large files', () => {
    const config = artifactConfig(defaultSettings(), { token: null, source: null }, {});
    expect(downloaderTuning(config, config)).toEqual({
      lowSpeed: { limitBps: 1024, windowMs: 30_000 },
      parallelParts: { minBytes: PARTS_MIN_BYTES, parts: defaultSettings().downloadPartsPerFile },
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
