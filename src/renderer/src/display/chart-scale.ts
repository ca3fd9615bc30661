/** The VRAM chart's y axis: round steps in binary units, the top following the budget. */
import { GiB, MiB } from '../../../shared/values/bytes.js';
import type { SlotId } from '../../../shared/slots/slots.js';

const LARGEST_STEP = 128 * 1024 * MiB;
const STEPS = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].map((m) => m * MiB);

/**
 * Ticks at 0, s, 2s … up to the first multiple of s at or above `maxBytes`, with s the
 * smallest round step that needs at most `maxTicks` intervals: "0, 2, 4, 6, 8 GiB",
 * never "2/5/7/9". The caller passes the larger of the budget and what the window holds,
 * so the axis shrinks with the budget instead of keeping an old maximum.
 */
export function yScale(maxBytes: number, maxTicks = 5): { top: number; ticks: number[] } {
  const max = Number.isFinite(maxBytes) && maxBytes > 0 ? maxBytes : GiB;
  const step = STEPS.find((s) => Math.ceil(max / s) <= maxTicks) ?? LARGEST_STEP;
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= top + 1; t += step) ticks.push(t);
  return { top, ticks };
}

/** "0", "512 MiB", "1.5 GiB", "8 GiB": whole numbers where the step allows. */
export function byteTick(bytes: number): string {
  if (bytes === 0) return '0';
  if (bytes < GiB) return `${Math.round(bytes / MiB)} MiB`;
  const g = bytes / GiB;
  return `${Number.isInteger(g) ? g : g.toFixed(1)} GiB`;
}

type Row = { budget: number; used: number | null } & Partial<Record<SlotId, number>>;

/**
 * What the y axis must reach: the current budget (not the largest budget of the window,
 * so the axis shrinks when the budget does) or the largest figure drawn, if higher.
 */
export function memoryTop(rows: readonly Row[], slots: readonly SlotId[]): number {
  let top = rows[rows.length - 1]?.budget ?? 0;
  for (const r of rows) {
    let stacked = 0;
    for (const id of slots) stacked += r[id] ?? 0;
    top = Math.max(top, stacked, r.used ?? 0);
  }
  return top;
}
