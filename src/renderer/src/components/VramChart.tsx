import { memo, useDeferredValue, useMemo } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { deviceLabel, parseDeviceId } from '../../../shared/devices.js';
import { HISTORY_SECONDS } from '../../../shared/api.js';
import { SLOT_NAMES, type SlotId } from '../../../shared/slots.js';
import { DEFAULT_THRESHOLDS, type PressureThresholds } from '../../../shared/state.js';
import { clockTime, memory } from '../display/figures.js';
import { chartDevices, chartView, chosenChartDevice, type ChartRow, type ChartView } from '../store/selectors.js';
import { useDashboard, useUiUpdate } from '../store/use-dashboard.js';
import { useThrottled } from '../display/use-throttled.js';
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

/** Axis labels: MiB below 1 GiB, so a small CPU budget does not read 0.2, 0.2, 0.1, 0.1. */
function gibTick(bytes: number): string {
  if (bytes === 0) return '0';
  if (bytes < 1024 ** 3) return `${Math.round(bytes / 1024 ** 2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(bytes < 2 * 1024 ** 3 ? 1 : 0)} GiB`;
}

const THRESHOLD_LINES: Array<{ key: keyof PressureThresholds; color: string; label: string }> = [
  { key: 'high', color: 'var(--critical)', label: 'Critical' },
  { key: 'medium', color: 'var(--high)', label: 'High' },
  { key: 'low', color: 'var(--medium)', label: 'Medium' },
];

const Chart = memo(function Chart({ view }: { view: ChartView }): React.JSX.Element {
  const { rows, slots, constantBudget, thresholds } = view;
  const last = rows[rows.length - 1]?.at ?? 0;
  const first = rows[0]?.at ?? last;
  // A young session fills the chart instead of hugging its right edge: the window grows
  // in whole minutes from 3 up to the 10 kept.
  const spanMs = Math.min(HISTORY_SECONDS * 1000, Math.max(180_000, Math.ceil((last - first) / 60_000) * 60_000));
  const domain: [number, number] = [last - spanMs, last];
  // Ticks on whole minutes: the labels repeat between renders, so recharts' text measurements stay cached.
  const step = spanMs <= 360_000 ? 60_000 : 120_000;
  const ticks: number[] = [];
  for (let t = Math.ceil(domain[0] / step) * step; t <= last; t += step) ticks.push(t);
  const hasUsed = rows.some((r) => r.used !== null);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={rows} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="at" type="number" scale="time" domain={domain} ticks={ticks} tickFormatter={minuteTime} stroke="var(--muted)" tick={{ fontSize: 11 }} />
        <YAxis tickFormatter={gibTick} stroke="var(--muted)" tick={{ fontSize: 11 }} width={64} />
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
            fillOpacity={0.55}
            isAnimationActive={false}
            dot={false}
            activeDot={false}
          />
        ))}
        {hasUsed && <Line dataKey="used" name="used" stroke="var(--text)" strokeWidth={1.5} dot={false} isAnimationActive={false} type="stepAfter" />}
        {constantBudget !== null ? (
          <>
            <ReferenceLine y={constantBudget} stroke="var(--accent)" strokeWidth={2} ifOverflow="extendDomain" />
            {THRESHOLD_LINES.map((t) => (
              <ReferenceLine key={t.key} y={constantBudget * thresholds[t.key]} stroke={t.color} strokeDasharray="6 4" ifOverflow="extendDomain" />
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

/** One device's history; keyed by device so switching devices shows the new one at once. */
function DeviceHistory({ device }: { device: string }): React.JSX.Element {
  const points = useDashboard((s) => s.model.history[device]);
  const thresholds: PressureThresholds = useDashboard(
    useShallow((s) => s.model.devices.find((d) => d.device === device)?.thresholds ?? s.model.settings?.settings.thresholds ?? DEFAULT_THRESHOLDS),
  );
  // The chart redraws at most every 2 s (like nvitop), in a deferred render React can slice.
  const deferredPoints = useDeferredValue(useThrottled(points, CHART_REFRESH_MS));
  const view = useMemo(() => chartView(deferredPoints, thresholds), [deferredPoints, thresholds]);
  return (
    <>
      <div className="chart-body">
        {view.rows.length === 0 ? <p className="muted chart-empty">No history yet.</p> : <Chart view={view} />}
      </div>
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
      </ul>
    </>
  );
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
          VRAM history <span className="muted">· last 10 minutes{device ? ` · ${parseDeviceId(device)?.kind === 'mig' ? deviceLabel(device) : device}` : ''}</span>
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
