/**
 * The download settings the downloader follows live: the low-speed floor and Range parts.
 * Parts are only worth it for large files: below PARTS_MIN_BYTES one stream is as fast
 * and leaves a plain partial that huggingface_hub could also resume. The setting is the
 * most parts a file gets: each download starts with one and adds parts while they pay
 * (part-count.ts).
 */
import type { DownloaderOptions } from '../transfer/downloader.js';
import { PART_GROWTH } from '../transfer/part-count.js';
import type { ArtifactConfig } from './types.js';

export const PARTS_MIN_BYTES = 64 * 1024 * 1024;

type Tuning = Pick<DownloaderOptions, 'lowSpeed' | 'parallelParts'>;

/** The downloader options a config change implies; only those it touches (`full` fills the pair's other half). */
export function downloaderTuning(partial: Partial<ArtifactConfig>, full: Partial<ArtifactConfig>): Partial<Tuning> {
  const out: Partial<Tuning> = {};
  if (partial.downloadLowSpeedBps !== undefined || partial.downloadLowSpeedSeconds !== undefined) {
    const bps = partial.downloadLowSpeedBps ?? full.downloadLowSpeedBps ?? 0;
    const seconds = partial.downloadLowSpeedSeconds ?? full.downloadLowSpeedSeconds ?? 30;
    out.lowSpeed = bps > 0 ? { limitBps: bps, windowMs: seconds * 1000 } : null;
  }
  if (partial.downloadPartsPerFile !== undefined) {
    out.parallelParts = partial.downloadPartsPerFile > 1 ? { minBytes: PARTS_MIN_BYTES, parts: partial.downloadPartsPerFile, grow: PART_GROWTH } : null;
  }
  return out;
}
