import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { byteTick, memoryTop, yScale } from '../../../src/renderer/src/display/chart-scale.js';
import { chartMarkers, groupMarkers, logEntryId, MARKER_SPACING_PX } from '../../../src/renderer/src/store/chart-markers.js';
import type { ActivityEntry } from '../../../src/shared/contract/activity.js';
import { SLOT_IDS } from '../../../src/shared/slots/slots.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('yScale', () => {
  it('uses round steps: an 8 GiB budget reads 0, 2, 4, 6, 8 GiB, not steps of 2.25', () => {
    expect(yScale(8 * GiB)).toEqual({ top: 8 * GiB, ticks: [0, 2, 4, 6, 8].map((g) => g * GiB) });
    expect(yScale(9 * GiB).ticks.map(byteTick)).toEqual(['0', '2 GiB', '4 GiB', '6 GiB', '8 GiB', '10 GiB']);
    expect(yScale(16376 * MiB).top).toBe(16 * GiB);
    expect(yScale(700 * MiB).ticks.map(byteTick)).toEqual(['0', '256 MiB', '512 MiB', '768 MiB']);
    expect(yScale(1.5 * GiB).ticks.map(byteTick)).toEqual(['0', '512 MiB', '1 GiB', '1.5 GiB']);
  });

  it('follows the budget down when it shrinks', () => {
    const rows = [
      { budget: 8 * GiB, used: null, E1: GiB },
      { budget: 2 * GiB, used: null, E1: GiB },
    ];
    expect(yScale(memoryTop(rows, ['E1'])).top).toBe(2 * GiB);
    // Memory drawn above the budget still fits on the axis.
    expect(memoryTop([{ budget: 2 * GiB, used: 5 * GiB, E1: GiB, E2: 2 * GiB }], ['E1', 'E2'])).toBe(5 * GiB);
    expect(yScale(4 * GiB).top).toBe(4 * GiB);
    expect(yScale(0).top).toBe(GiB);
  });
});

describe('chartMarkers', () => {
  const e = (at: number, kind: ActivityEntry['kind'], slot: ActivityEntry['slot'], extra: Partial<ActivityEntry> = {}): ActivityEntry => ({ at, kind, slot, message: `${slot} ${kind}`, ...extra });
  const activity = [
    e(100, 'loaded', 'E1', { device: 'cuda:0' }),
    e(200, 'evicted', 'E8', { device: 'cuda:0', reason: 'lru' }),
    e(300, 'download', 'E6'),
    e(400, 'load-failed', 'E2', { device: 'cuda:0', code: 'EMB-E003' }),
    e(500, 'loaded', 'E11', { device: 'cpu' }),
    e(600, 'pinned', 'E1'),
    e(700, 'verify', 'E12', { code: 'EMB-E108' }),
    e(5000, 'unloaded', 'E1', { device: 'cuda:0' }),
  ];
  it('keeps load, unload, evict, download and failure events of the device in the window', () => {
    const markers = chartMarkers(activity, 'cuda:0', { E6: 'cuda:0', E12: 'cuda:0', E11: 'cpu' }, 0, 1000);
    expect(markers.map((m) => [m.at, m.kind, m.slot])).toEqual([
      [100, 'load', 'E1'], [200, 'evict', 'E8'], [300, 'download', 'E6'], [400, 'failure', 'E2'], [700, 'failure', 'E12'],
    ]);
    expect(markers[1]?.logId).toBe(logEntryId(activity[1] as ActivityEntry));
    expect(chartMarkers(activity, 'cpu', { E11: 'cpu' }, 0, 1000).map((m) => m.slot)).toEqual(['E11']);
  });

  it('events closer than a marker on screen share one, shown with the most serious kind', () => {
    const markers = chartMarkers(activity, 'cuda:0', { E6: 'cuda:0', E12: 'cuda:0' }, 0, 10_000);
    // 900 px for 10 s: 100 ms is 9 px, closer than a marker's 26 px.
    const groups = groupMarkers(markers, [0, 10_000], 900);
    expect(groups.map((g) => [g.at, g.kind, g.markers.length])).toEqual([[100, 'evict', 3], [400, 'failure', 1], [700, 'failure', 1], [5000, 'unload', 1]]);
    expect(groups.map((g) => g.left)).toEqual([0.01, 0.04, 0.07, 0.5]);
    // A wider chart has room to show them apart.
    expect(groupMarkers(markers, [0, 10_000], 9000)).toHaveLength(markers.length);
  });

  it('markers are at least MARKER_SPACING_PX apart at any width, also those past the window piled on its right edge', () => {
    const e2 = (at: number): ActivityEntry => ({ at, kind: 'loaded', slot: 'E2', device: 'cuda:0', message: `E2 loaded ${at}` });
    const span = 600_000;
    // A burst every 2.5 s over the last 45 s, and three events after the last point (drawn at the right edge).
    const burst = [...Array.from({ length: 18 }, (_, i) => e2(span - 44_000 + i * 2_500)), e2(span + 500), e2(span + 1_000), e2(span + 1_900)];
    const markers = chartMarkers(burst, 'cuda:0', {}, 0, span + 2_000);
    for (const width of [620, 700, 1100, 1350]) {
      const groups = groupMarkers(markers, [0, span], width);
      const xs = groups.map((g) => g.left * width);
      for (let i = 1; i < xs.length; i++) expect((xs[i] as number) - (xs[i - 1] as number)).toBeGreaterThanOrEqual(MARKER_SPACING_PX);
      expect(groups.flatMap((g) => g.markers)).toHaveLength(markers.length);
      expect(Math.max(...groups.map((g) => g.left))).toBeLessThanOrEqual(1);
    }
  });
});

/** sRGB hex → CIELAB, for a perceptual distance between slot colours. */
function lab(hex: string): [number, number, number] {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  const [r, g, b] = c;
  const xyz = [(0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883];
  const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const [fx, fy, fz] = xyz.map(f) as [number, number, number];
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

describe('slot colours', () => {
  const css = readFileSync(new URL('../../../src/renderer/src/styles.css', import.meta.url), 'utf8');
  const dark = css.slice(css.indexOf('@media (prefers-color-scheme: dark)'));
  const light = css.slice(0, css.indexOf('@media (prefers-color-scheme: dark)'));
  for (const [theme, text, bg] of [['light', light, '#ffffff'], ['dark', dark, '#171b23']] as const) {
    it(`13 slots stay distinguishable in ${theme} mode`, () => {
      const colors = SLOT_IDS.map((id) => {
        const m = new RegExp(`--slot-${id.toLowerCase()}:\\s*(#[0-9a-f]{6})`, 'i').exec(text);
        expect(m, `--slot-${id.toLowerCase()} in ${theme}`).not.toBeNull();
        return lab((m as RegExpExecArray)[1] as string);
      });
      let min = Infinity;
      for (let i = 0; i < colors.length; i++) for (let j = i + 1; j < colors.length; j++) {
        const [a, b] = [colors[i] as number[], colors[j] as number[]];
        min = Math.min(min, Math.hypot((a[0] ?? 0) - (b[0] ?? 0), (a[1] ?? 0) - (b[1] ?? 0), (a[2] ?? 0) - (b[2] ?? 0)));
      }
      expect(min).toBeGreaterThan(20);
      // Every colour stands out from the card it is drawn on.
      const back = lab(bg);
      for (const c of colors) expect(Math.hypot(c[0] - back[0], c[1] - back[1], c[2] - back[2])).toBeGreaterThan(25);
    });
  }
});
