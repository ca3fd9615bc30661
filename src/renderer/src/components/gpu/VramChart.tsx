import { memo, useDeferredValue, useMemo } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { deviceLabel, parseDeviceId } from '../../../../shared/devices/devices.js';
import { HISTORY_SECONDS } from '../../../../shared/contract/api.js';
import { SLOT_NAMES, type SlotId } from '../../../../shared/slots/slots.js';
import { DEFAULT_THRESHOLDS, type PressureThresholds } from '../../../../shared/slots/state.js';
import { byteTick, memoryTop, yScale } from '../../display/chart-scale.js';
import { clockTime, memory } from '../../display/figures.js';
import { chartMarkers } from '../../store/chart-markers.js';
import { chartDevices, chartView, chosenChartDevice, selectActivity, type ChartRow, type ChartView } from '../../store/selectors.js';
import { useDashboard, useUiUpdate } from '../../store/use-dashboard.js';
import { useThrottled } from '../../display/use-throttled.js';
import { ChartMarkers, MarkerLines, MARKER_STYLE, PLOT_RIGHT_PX } from './ChartMarkers.js';
import { SLOT_COLORS } from './slot-colors.js';

const CHART_REFRESH_MS = 2000;

const LINE_NAMES: Record<string, string> = {
  used: 'Device used (all processes)',
  budget: 'Budget',
  low: 'Low → Medium',
  medium: 'Medium → High',
  high: 'High → Critical',
};

function seriesName(key: string): string {
  return LINE_NAMES[key] ?? `${key} ${SLOT_NAMES[key as SlotId] ?? ''}`;
}

function minuteTime(at: number): string {
  return clockTime(at).slice(0, 5);
}

const THRESHOLD_LINES: Array<{ key: keyof PressureThresholds; color: string; label: string }> = [
  { key: 'high', color: 'var(--critical)', label: 'Critical' },
  { key: 'medium', color: 'var(--high)', label: 'High' },
  { key: 'low', color: 'var(--medium)', label: 'Medium' },
];

interface TimeWindow {
  domain: [number, number];
  ticks: number[];
}

/** The time axis: a young session fills the chart instead of hugging its right edge (the axis grows in whole minutes from 3 up to the 10 kept). */
function timeWindow(rows: readonly ChartRow[]): TimeWindow {
  const last = rows[rows.length - 1]?.at ?? 0;
  const first = rows[0]?.at ?? last;
  const spanMs = Math.min(HISTORY_SECONDS * 1000, Math.max(180_000, Math.ceil((last - first) / 60_000) * 60_000));
  const domain: [number, number] = [last - spanMs, last];
  // Ticks on whole minutes: the labels repeat between renders, so recharts' text measurements stay cached.
  const step = spanMs <= 360_000 ? 60_000 : 120_000;
  const ticks: number[] = [];
  for (let t = Math.ceil(domain[0] / step) * step; t <= last; t += step) ticks.push(t);
  return { domain, ticks };
}

const Chart = memo(function Chart({ view, axis }: { view: ChartView; axis: TimeWindow }): React.JSX.Element {
  const { rows, slots, constantBudget, thresholds } = view;
  const { domain, ticks } = axis;
  const y = useMemo(() => yScale(memoryTop(view.rows, view.slots)), [view]);
  const hasUsed = rows.some((r) => r.used !== null);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={rows} margin={{ top: 8, right: PLOT_RIGHT_PX, bottom: 0, left: 8 }}>
        <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="at" type="number" scale="time" domain={domain} ticks={ticks} tickFormatter={minuteTime} stroke="var(--muted)" tick={{ fontSize: 11 }} />
        <YAxis domain={[0, y.top]} ticks={y.ticks} tickFormatter={byteTick} stroke="var(--muted)" tick={{ fontSize: 11 }} width={64} allowDataOverflow />
        <Tooltip
          isAnimationActive={false}
          labelFormatter={(at) => clockTime(Number(at))}
          formatter={(value, name) => [memory(Number(value)), seriesName(String(name))]}
          contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)', fontSize: 12 }}
        />
        {slots.map((id) => (
          <Area
            key={id}
            dataKey={id}
            name={id}
            stackId="slots"
            type="stepAfter"
            stroke={SLOT_COLORS[id]}
            fill={SLOT_COLORS[id]}
            fillOpacity={0.7}
            isAnimationActive={false}
            dot={false}
            activeDot={false}
          />
        ))}
        {hasUsed && <Line dataKey="used" name="used" stroke="var(--text)" strokeWidth={1.5} dot={false} isAnimationActive={false} type="stepAfter" />}
        {constantBudget !== null ? (
          <>
            <ReferenceLine y={constantBudget} stroke="var(--accent)" strokeWidth={2} ifOverflow="hidden" />
            {THRESHOLD_LINES.map((t) => (
              <ReferenceLine key={t.key} y={constantBudget * thresholds[t.key]} stroke={t.color} strokeDasharray="6 4" ifOverflow="hidden" />
            ))}
          </>
        ) : (
          <>
            <Line dataKey="budget" name="budget" stroke="var(--accent)" strokeWidth={2} dot={false} isAnimationActive={false} type="stepAfter" />
            {THRESHOLD_LINES.map((t) => (
              <Line
                key={t.key}
                dataKey={(row: ChartRow) => row.budget * thresholds[t.key]}
                name={t.key}
                stroke={t.color}
                strokeDasharray="6 4"
                strokeWidth={1}
                dot={false}
                isAnimationActive={false}
                type="stepAfter"
              />
            ))}
          </>
        )}
      </ComposedChart>
    </ResponsiveContainer>
  );
});

/** One series as an SVG polyline on a 0–100 scale; a null value breaks the line (unknown is never drawn as a figure). */
function strips(rows: readonly ChartRow[], key: 'util' | 'temp', x: (at: number) => number): string[] {
  const out: string[] = [];
  let run: string[] = [];
  for (const r of rows) {
    const v = r[key];
    if (v === null || v === undefined) {
      if (run.length > 1) out.push(run.join(' '));
      run = [];
      continue;
    }
    run.push(`${x(r.at).toFixed(1)},${(100 - Math.max(0, Math.min(100, v))).toFixed(1)}`);
  }
  if (run.length > 1) out.push(run.join(' '));
  return out;
}

/**
 * The GPU's utilisation (%) and temperature (°C) on one 0–100 scale and the VRAM chart's
 * time axis. Plain SVG, not a second recharts chart: drawing two charts in one redraw
 * made long tasks (bench:ui).
 */
const GpuChart = memo(function GpuChart({ rows, axis }: { rows: readonly ChartRow[]; axis: TimeWindow }): React.JSX.Element {
  const [from, to] = axis.domain;
  const x = (at: number): number => ((at - from) / Math.max(1, to - from)) * 1000;
  const last = rows[rows.length - 1];
  const title = last ? `Now: utilisation ${last.util ?? '—'} %, temperature ${last.temp ?? '—'} °C` : 'No readings yet';
  return (
    <div className="gpu-strip" style={{ paddingRight: PLOT_RIGHT_PX }}>
      <div className="gpu-strip-axis" aria-hidden="true"><span>100</span><span>50</span><span>0</span></div>
      <svg className="gpu-strip-plot" viewBox="0 0 1000 100" preserveAspectRatio="none">
        <title>{title}</title>
        {[0, 50, 100].map((y) => <line key={y} x1={0} x2={1000} y1={y} y2={y} className="gpu-strip-grid" vectorEffect="non-scaling-stroke" />)}
        {strips(rows, 'util', x).map((points, i) => <polyline key={`u${i}`} className="gpu-line gpu-line-util" points={points} vectorEffect="non-scaling-stroke" />)}
        {strips(rows, 'temp', x).map((points, i) => <polyline key={`t${i}`} className="gpu-line gpu-line-temp" points={points} vectorEffect="non-scaling-stroke" />)}
      </svg>
    </div>
  );
});

/** One device's history; keyed by device so switching devices shows the new one at once. */
function DeviceHistory({ device }: { device: string }): React.JSX.Element {
  const points = useDashboard((s) => s.model.history[device]);
  const thresholds: PressureThresholds = useDashboard(
    useShallow((s) => s.model.devices.find((d) => d.device === device)?.thresholds ?? s.model.settings?.settings.thresholds ?? DEFAULT_THRESHOLDS),
  );
  // The chart redraws at most every 2 s (like nvitop), in a deferred render React can slice.
  const deferredPoints = useDeferredValue(useThrottled(points, CHART_REFRESH_MS));
  const activity = useDeferredValue(useThrottled(useDashboard(selectActivity), CHART_REFRESH_MS));
  const slotDevices = useDashboard(useShallow((s) => Object.fromEntries(Object.values(s.model.slots).map((slot) => [slot?.id, slot?.device]))));
  const view = useMemo(() => chartView(deferredPoints, thresholds), [deferredPoints, thresholds]);
  const axis = useMemo(() => timeWindow(view.rows), [view]);
  const markers = useMemo(() => chartMarkers(activity, device, slotDevices, axis.domain[0], axis.domain[1] + CHART_REFRESH_MS), [activity, device, slotDevices, axis]);
  const gpu = device.startsWith('cuda:') && view.rows.some((r) => r.util !== null && r.util !== undefined);
  return (
    <>
      <div className="chart-body">
        {view.rows.length === 0 ? <p className="muted chart-empty">No history yet.</p> : <Chart view={view} axis={axis} />}
        {view.rows.length > 0 && <MarkerLines markers={markers} domain={axis.domain} />}
      </div>
      {view.rows.length > 0 && <ChartMarkers markers={markers} domain={axis.domain} />}
      {gpu && (
        <div className="chart-body gpu-history" aria-label={`Utilisation and temperature of ${device}`} role="img">
          <GpuChart rows={view.rows} axis={axis} />
        </div>
      )}
      <ul className="chart-legend" aria-label="Legend">
        {view.slots.map((id) => (
          <li key={id}>
            <span className="swatch" style={{ background: SLOT_COLORS[id] }} /> {id}
          </li>
        ))}
        {view.rows.some((r) => r.used !== null) && (
          <li>
            <span className="swatch line" style={{ background: 'var(--text)' }} /> device used (all processes)
          </li>
        )}
        <li>
          <span className="swatch line" style={{ background: 'var(--accent)' }} /> budget
        </li>
        <li>
          <span className="swatch line dashed" style={{ borderColor: 'var(--medium)' }} /> thresholds
        </li>
        {gpu && (
          <>
            <li>
              <span className="swatch line" style={{ background: 'var(--info)' }} /> utilisation %
            </li>
            <li>
              <span className="swatch line" style={{ background: 'var(--high)' }} /> temperature °C
            </li>
          </>
        )}
        {Object.values(MARKER_STYLE).map((m) => (
          <li key={m.label}>
            <span className="marker-glyph" style={{ color: m.color }} aria-hidden="true">
              {m.glyph}
            </span>{' '}
            {m.label}
          </li>
        ))}
      </ul>
    </>
  );
}

/** A CPU has no VRAM: its budget is the machine's RAM, and the title says so. */
function chartTitle(device: string | null): string {
  return device !== null && parseDeviceId(device)?.kind === 'cpu' ? 'Memory history' : 'VRAM history';
}

function chartDeviceName(device: string): string {
  const kind = parseDeviceId(device)?.kind;
  return kind === 'mig' ? deviceLabel(device) : kind === 'cpu' ? `${device} (RAM)` : device;
}

export function VramChart(): React.JSX.Element {
  const devices = useDashboard(useShallow((s) => chartDevices(s.model.devices, s.model.history)));
  const chosen = useDashboard((s) => s.ui.chartDevice);
  const slotDevices = useDashboard(useShallow((s) => Object.values(s.model.slots).map((slot) => slot?.device ?? '')));
  const device = chosenChartDevice(devices, chosen, slotDevices);
  const ui = useUiUpdate();
  // A MIG server offers many devices: the selector lists those with slots (and the one shown).
  const placed = devices.filter((d) => d === device || slotDevices.includes(d));
  const choices = placed.length > 0 ? placed : devices;

  return (
    <section className="card chart-card" aria-labelledby="chart-title">
      <div className="card-title-row">
        <h2 id="chart-title" className="card-title">
          {chartTitle(device)} <span className="muted">· last 10 minutes{device ? ` · ${chartDeviceName(device)}` : ''}</span>
        </h2>
        {choices.length > 1 && (
          <div className="segmented" role="group" aria-label="Device shown in the chart">
            {choices.map((d) => (
              <button key={d} type="button" title={d} aria-pressed={d === device} onClick={() => ui((u) => ({ ...u, chartDevice: d }))}>
                {parseDeviceId(d)?.kind === 'mig' ? deviceLabel(d) : d}
              </button>
            ))}
          </div>
        )}
      </div>
      {device ? (
        <DeviceHistory key={device} device={device} />
      ) : (
        <div className="chart-body">
          <p className="muted chart-empty">No history yet.</p>
        </div>
      )}
    </section>
  );
}
