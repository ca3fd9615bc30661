import { count } from '../../../../shared/values/counts.js';
import { memo } from 'react';
import { deviceLabel, parseDeviceId } from '../../../../shared/devices/devices.js';
import type { DeviceBudgetSnapshot, PressureLevel } from '../../../../shared/slots/state.js';
import { memory, percent } from '../../display/figures.js';
import { selectDevices } from '../../store/selectors.js';
import type { DashboardState } from '../../store/dashboard-store.js';
import { useDashboard } from '../../store/use-dashboard.js';
import { Figure } from '../common/Unknown.js';

/** The devices slots are placed on, as one string so the gauges re-render only when it changes. */
const selectPlacedDevices = (s: DashboardState): string => [...new Set(Object.values(s.model.slots).map((x) => x?.device ?? ''))].sort().join('\n');

const LEVEL_MARK: Record<PressureLevel, string> = { Low: '●', Medium: '▲', High: '◆', Critical: '■' };

const Gauge = memo(function Gauge({ device }: { device: DeviceBudgetSnapshot }): React.JSX.Element {
  const { thresholds: t, level } = device;
  const fill = Math.min(1, Math.max(0, device.ratio)) * 100;
  const zones: Array<{ level: PressureLevel; from: number; to: number }> = [
    { level: 'Low', from: 0, to: t.low },
    { level: 'Medium', from: t.low, to: t.medium },
    { level: 'High', from: t.medium, to: t.high },
    { level: 'Critical', from: t.high, to: 1 },
  ];
  const mig = parseDeviceId(device.device)?.kind === 'mig';
  return (
    <div className={`gauge level-${level.toLowerCase()}`} data-device={device.device}>
      {mig && (
        <div className="gauge-device-long" title={device.device}>
          {deviceLabel(device.device)} <span className="muted">{device.device.split(':').at(-1)}</span>
        </div>
      )}
      <div className={mig ? 'gauge-head gauge-head-mig' : 'gauge-head'}>
        {!mig && (
          <span className="gauge-device" title={device.device}>
            {device.device}
          </span>
        )}
        <span className="gauge-figures num">
          {memory(device.allocatedBytes)} / {memory(device.budgetBytes)}
        </span>
        <span className="gauge-ratio num">{percent(device.ratio)}</span>
        <span className={`level-pill level-${level.toLowerCase()}`}>
          <span aria-hidden="true">{LEVEL_MARK[level]}</span> {level}
        </span>
      </div>
      <div
        className="gauge-track"
        role="meter"
        aria-label={`${device.device} budget use, pressure ${level}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(device.ratio * 100)}
        aria-valuetext={`${percent(device.ratio)} of budget, ${level}`}
      >
        {zones.map((z) => (
          <div key={z.level} className={`gauge-zone zone-${z.level.toLowerCase()}`} style={{ left: `${z.from * 100}%`, width: `${(z.to - z.from) * 100}%` }} />
        ))}
        <div className="gauge-fill" style={{ width: `${fill}%` }} />
        {[t.low, t.medium, t.high].map((x) => (
          <div key={x} className="gauge-tick" style={{ left: `${x * 100}%` }} />
        ))}
      </div>
      <div className="gauge-scale num" aria-hidden="true">
        {[t.low, t.medium, t.high].map((x) => (
          <span key={x} style={{ left: `${x * 100}%` }}>
            {Math.round(x * 100)} %
          </span>
        ))}
      </div>
      <div className="gauge-foot muted num">
        {memory(device.availableBytes)} free in budget
        {device.device !== 'cpu' && (
          <span className="device-free">
            {' '}
            · <Figure value={device.deviceFreeBytes === null ? null : memory(device.deviceFreeBytes)} /> free on device
          </span>
        )}
      </div>
    </div>
  );
});

export function PressureGauges(): React.JSX.Element {
  const all = useDashboard(selectDevices);
  // One row per device a slot is placed on (a MIG server offers many devices; most hold nothing).
  const placed = new Set(useDashboard(selectPlacedDevices).split('\n'));
  const devices = all.filter((d) => placed.has(d.device) || d.allocatedBytes > 0);
  const others = all.length - devices.length;
  const first = devices[0];
  return (
    <section className="card gauges" aria-labelledby="gauges-title">
      <h2 id="gauges-title" className="card-title">
        Budget pressure
      </h2>
      {devices.length === 0 && <p className="muted">No device budgets yet.</p>}
      {devices.map((d) => (
        <Gauge key={d.device} device={d} />
      ))}
      {others > 0 && (
        <p className="muted gauge-others" title={all.filter((d) => !devices.includes(d)).map((d) => d.device).join('\n')}>
          {count(others, 'more device', 'more devices')} without slots.
        </p>
      )}
      {first && (
        <ul className="gauge-legend" aria-label="Pressure levels">
          <li className="level-low">{LEVEL_MARK.Low} Low &lt; {Math.round(first.thresholds.low * 100)} %</li>
          <li className="level-medium">{LEVEL_MARK.Medium} Medium &lt; {Math.round(first.thresholds.medium * 100)} %</li>
          <li className="level-high">{LEVEL_MARK.High} High &lt; {Math.round(first.thresholds.high * 100)} %</li>
          <li className="level-critical">{LEVEL_MARK.Critical} Critical ≥ {Math.round(first.thresholds.high * 100)} %</li>
        </ul>
      )}
    </section>
  );
}
