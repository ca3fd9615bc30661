/** Events drawn on the VRAM chart's timeline, each tied to its row in the event log. */
import type { ActivityEntry } from '../../../shared/contract/activity.js';
import type { SlotId } from '../../../shared/slots/slots.js';

export type MarkerKind = 'load' | 'unload' | 'evict' | 'download' | 'failure';

export interface ChartMarker {
  at: number;
  kind: MarkerKind;
  slot: SlotId | null;
  /** The event log's words for it. */
  entry: ActivityEntry;
  /** The id of its event-log row, for the "show in log" link. */
  logId: string;
}

/** A stable id for an activity entry's row in the event log. */
export function logEntryId(e: ActivityEntry): string {
  return `log-${e.at}-${e.kind}-${e.slot ?? 'app'}`;
}

function markerKind(e: ActivityEntry): MarkerKind | null {
  switch (e.kind) {
    case 'loaded':
      return 'load';
    case 'unloaded':
      return 'unload';
    case 'evicted':
      return 'evict';
    case 'download':
      return 'download';
    case 'verify':
      return e.code ? 'failure' : 'download';
    case 'load-failed':
    case 'session-lost':
      return 'failure';
    case 'error':
      return e.slot ? 'failure' : null;
    default:
      return null;
  }
}

/**
 * Markers for one device's chart in [from, to]: an event belongs to the device it names,
 * else to the device its slot is on (downloads name none: they show where the slot runs).
 */
export function chartMarkers(
  activity: readonly ActivityEntry[],
  device: string,
  slotDevices: Partial<Record<SlotId, string>>,
  from: number,
  to: number,
): ChartMarker[] {
  const out: ChartMarker[] = [];
  for (const e of activity) {
    if (e.at < from || e.at > to) continue;
    const kind = markerKind(e);
    if (!kind) continue;
    const where = e.device ?? (e.slot ? slotDevices[e.slot] : undefined);
    if (where !== device) continue;
    out.push({ at: e.at, kind, slot: e.slot, entry: e, logId: logEntryId(e) });
  }
  return out.sort((a, b) => a.at - b.at);
}

export interface MarkerGroup {
  /** The first event's time. */
  at: number;
  /** Where the marker sits: 0 = the plot's left edge, 1 = its right edge (events past the window sit at 1). */
  left: number;
  /** The most serious kind in the group decides its glyph. */
  kind: MarkerKind;
  markers: ChartMarker[];
}

const SEVERITY: Record<MarkerKind, number> = { failure: 4, evict: 3, load: 2, unload: 1, download: 0 };

/**
 * The room one marker takes on the lane, in pixels: its 18 px dot centred on its time and
 * the count badge that sticks out 7 px to the right, plus a pixel between neighbours.
 */
export const MARKER_SPACING_PX = 26;

/**
 * Markers closer than `minGapPx` on a plot `plotWidthPx` wide share one marker (a load and
 * the evictions it caused happen within a second), so none is drawn over another at any
 * window width. Spacing is by pixels on screen, after events past the window's end are
 * put on its right edge: grouping by time alone let an 800 px chart stack them there.
 */
export function groupMarkers(markers: readonly ChartMarker[], domain: readonly [number, number], plotWidthPx: number, minGapPx = MARKER_SPACING_PX): MarkerGroup[] {
  const [from, to] = domain;
  const span = Math.max(1, to - from);
  const width = Math.max(1, plotWidthPx);
  const out: MarkerGroup[] = [];
  for (const m of [...markers].sort((a, b) => a.at - b.at)) {
    const left = Math.min(1, Math.max(0, (m.at - from) / span));
    const last = out[out.length - 1];
    if (last && (left - last.left) * width < minGapPx) {
      last.markers.push(m);
      if (SEVERITY[m.kind] > SEVERITY[last.kind]) last.kind = m.kind;
    } else {
      out.push({ at: m.at, left, kind: m.kind, markers: [m] });
    }
  }
  return out;
}
