import { count } from '../../../../shared/values/counts.js';
import { memo, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { activityText } from '../../display/activity-text.js';
import { clockTime } from '../../display/figures.js';
import { groupMarkers, type ChartMarker, type MarkerGroup, type MarkerKind } from '../../store/chart-markers.js';
import { useUiUpdate } from '../../store/use-dashboard.js';

export const MARKER_STYLE: Record<MarkerKind, { glyph: string; color: string; label: string }> = {
  load: { glyph: '▲', color: 'var(--ok)', label: 'load' },
  unload: { glyph: '▽', color: 'var(--muted)', label: 'unload' },
  evict: { glyph: '✕', color: 'var(--high)', label: 'eviction' },
  download: { glyph: '↓', color: 'var(--accent)', label: 'download' },
  failure: { glyph: '!', color: 'var(--danger)', label: 'failure' },
};

/** Where the plot area starts and ends inside the chart: margin + y-axis width, and the right margin. */
export const PLOT_LEFT_PX = 72;
export const PLOT_RIGHT_PX = 16;

function describe(m: ChartMarker): string {
  return `${MARKER_STYLE[m.kind].label} ${clockTime(m.at)}: ${activityText(m.entry)}`;
}

function Marker({ group, left, onShow }: { group: MarkerGroup; left: number; onShow: () => void }): React.JSX.Element {
  const [open, setOpen] = useState(false);
  const style = MARKER_STYLE[group.kind];
  const first = group.markers[0] as ChartMarker;
  const tipId = `${first.logId}-tip`;
  const many = group.markers.length > 1;
  return (
    <li
      className={`marker marker-${group.kind}`}
      style={{ left: `calc(${PLOT_LEFT_PX}px + (100% - ${PLOT_LEFT_PX + PLOT_RIGHT_PX}px) * ${left})` }}
      onMouseEnter={() => setOpen(true)}
      onMouseLeave={() => setOpen(false)}
      onFocus={() => setOpen(true)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget)) setOpen(false);
      }}
    >
      <button
        type="button"
        className="marker-dot"
        style={{ color: style.color }}
        aria-label={many ? `${count(group.markers.length, 'event')}: ${group.markers.map(describe).join('; ')}` : describe(first)}
        aria-describedby={open ? tipId : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        {style.glyph}
        {many && <span className="marker-count">{group.markers.length}</span>}
      </button>
      {open && (
        <div id={tipId} role="tooltip" className={`marker-tip${left > 0.6 ? ' flip' : ''}`}>
          <ul>
            {group.markers.map((m) => (
              <li key={m.logId}>
                <span className="num muted">{clockTime(m.at)}</span> <strong style={{ color: MARKER_STYLE[m.kind].color }}>{MARKER_STYLE[m.kind].label}</strong>{' '}
                <a href={`#${m.logId}`} onClick={onShow} title="Show in the event log">
                  {activityText(m.entry)}
                </a>
                {m.entry.code && <code className="error-code"> {m.entry.code}</code>}
              </li>
            ))}
          </ul>
          <p className="muted">Click an event to find it in the event log.</p>
        </div>
      )}
    </li>
  );
}

/** The lane's plot width in pixels, followed as the window resizes (null until measured). */
function usePlotWidth(lane: React.RefObject<HTMLOListElement | null>): number | null {
  const [width, setWidth] = useState<number | null>(null);
  useLayoutEffect(() => {
    const el = lane.current;
    if (!el) return undefined;
    const measure = (): void => setWidth(Math.max(1, el.clientWidth - PLOT_LEFT_PX - PLOT_RIGHT_PX));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [lane]);
  return width;
}

/** The chart's event lane: markers under the plot, aligned with its time axis and spaced by pixels. */
export const ChartMarkers = memo(function ChartMarkers({ markers, domain }: { markers: readonly ChartMarker[]; domain: readonly [number, number] }): React.JSX.Element | null {
  const ui = useUiUpdate();
  const lane = useRef<HTMLOListElement>(null);
  const width = usePlotWidth(lane);
  const groups = useMemo(() => (width === null ? [] : groupMarkers(markers, domain, width)), [markers, domain, width]);
  // The log may be filtered to one kind: show everything so the linked row exists.
  const onShow = (): void => ui((u) => (u.activityFilter === 'all' ? u : { ...u, activityFilter: 'all' }));
  // The lane is there even when empty: its width decides how markers group.
  return (
    <ol ref={lane} className="marker-lane" aria-label="Events on the timeline" hidden={markers.length === 0}>
      {groups.map((g) => (
        <Marker key={(g.markers[0] as ChartMarker).logId} group={g} left={g.left} onShow={onShow} />
      ))}
    </ol>
  );
});

/**
 * The markers' dashed lines across the VRAM plot, as plain positioned elements over the
 * chart: drawn inside recharts they cost a long task on some redraws (bench:ui).
 */
export const MarkerLines = memo(function MarkerLines({ markers, domain }: { markers: readonly ChartMarker[]; domain: readonly [number, number] }): React.JSX.Element {
  const [from, to] = domain;
  const span = Math.max(1, to - from);
  return (
    <div className="marker-lines" aria-hidden="true">
      {markers.filter((m) => m.at >= from && m.at <= to).map((m) => (
        <span
          key={m.logId}
          className="marker-line"
          style={{ left: `calc(${PLOT_LEFT_PX}px + (100% - ${PLOT_LEFT_PX + PLOT_RIGHT_PX}px) * ${(m.at - from) / span})`, borderLeftColor: MARKER_STYLE[m.kind].color }}
        />
      ))}
    </div>
  );
});
