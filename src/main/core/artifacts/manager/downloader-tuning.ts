/**
 * The download settings the downloader follows live: the low-speed floor and Range parts.
 * Parts are only worth it for large files: below PARTS_MIN_BYTES one stream is as fast
 * and leaves a plain partial that huggingface_hub could also resume.
 */
import type { DownloaderOptions } from '../transfer/downloader.js';
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
    out.parallelParts = partial.downloadPartsPerFile > 1 ? { minBytes: PARTS_MIN_BYTES, parts: partial.downloadPartsPerFile } : null;
  }
  return out;
}
