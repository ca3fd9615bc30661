/**
 * How figures read on the dashboard. File sizes in decimal MB/GB like the Hub shows
 * them; device memory in MiB/GiB like nvidia-smi. Unknown is never 0: callers get null
 * and show "—".
 */
import { GiB, MiB } from '../../../shared/values/bytes.js';
import { count } from '../../../shared/values/counts.js';

export const UNKNOWN = '—';
export const UNKNOWN_GPU_TIP = 'not reported by nvidia-smi';

export function fileSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return UNKNOWN;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

export function memory(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return UNKNOWN;
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`;
  return `${Math.round(bytes / MiB)} MiB`;
}

export function mib(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return UNKNOWN;
  return `${Math.round(bytes / MiB).toLocaleString('en-US')} MiB`;
}

export function percent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return UNKNOWN;
  return `${Math.round(ratio * 100)} %`;
}

export function speed(bps: number): string {
  if (!Number.isFinite(bps) || bps <= 0) return UNKNOWN;
  return `${fileSize(bps)}/s`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return UNKNOWN;
  // A load of 71 ms is not "0 s".
  if (seconds < 0.9995) return `${Math.round(seconds * 1000)} ms`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago"; "never" for null. */
export function relativeTime(at: number | null | undefined, now: number): string {
  if (at === null || at === undefined) return 'never';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function clockTime(at: number): string {
  const d = new Date(at);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * "≥ 90.9 MB missing · 4 of 13 slots have an unknown size": the missing total counts only
 * files of known size, so with unknown sizes it is a lower bound and says so. Counted in
 * slots, the unit the user acts on, not in files (which slots may share).
 */
export function missingText(missingBytes: number, unknownSlots: number, slots: number): string {
  if (unknownSlots === 0) return missingBytes > 0 ? `${fileSize(missingBytes)} missing` : 'nothing missing';
  const unknown = `${unknownSlots} of ${count(slots, 'slot')} ${unknownSlots === 1 ? 'has' : 'have'} an unknown size`;
  if (missingBytes > 0) return `≥ ${fileSize(missingBytes)} missing · ${unknown}`;
  return unknown;
}

export function unknownSlotsTip(unknownSlots: number): string | undefined {
  if (unknownSlots === 0) return undefined;
  return `${count(unknownSlots, 'slot')} ${unknownSlots === 1 ? 'has' : 'have'} missing files whose size is not known until they are resolved on the Hub (at download): the missing total counts only files of known size.`;
}

export function unknownSizesTip(unknownSizes: number): string | undefined {
  if (unknownSizes === 0) return undefined;
  return `${count(unknownSizes, 'missing file')} ${unknownSizes === 1 ? 'has' : 'have'} no known size until ${unknownSizes === 1 ? 'it is' : 'they are'} resolved on the Hub (at download): the missing total counts only files of known size.`;
}
