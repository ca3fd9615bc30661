import { memo } from 'react';
import type { GpuInfo, GpuProcess } from '../../../shared/gpu.js';
import { mib } from '../display/figures.js';
import { selectGpu } from '../store/selectors.js';
import { toggleGpu } from '../store/ui-state.js';
import { useDashboard, useUiUpdate } from '../store/use-dashboard.js';
import { Figure } from './Unknown.js';

function round(value: number | null, digits = 0): string | null {
  return value === null ? null : value.toFixed(digits);
}

const GpuCard = memo(function GpuCard({ gpu, processes }: { gpu: GpuInfo; processes: GpuProcess[] }): React.JSX.Element {
  const expanded = useDashboard((s) => s.ui.expandedGpus.includes(gpu.index));
  const ui = useUiUpdate();
  const total = gpu.memoryTotalBytes;
  const used = gpu.memoryUsedBytes;
  const reserved = gpu.memoryReservedBytes ?? 0;
  const usedPct = total && used !== null ? (used / total) * 100 : 0;
  const reservedPct = total ? (reserved / total) * 100 : 0;
  const listId = `gpu-${gpu.index}-processes`;

  return (
    <article className="card gpu-card" aria-label={`GPU ${gpu.index} ${gpu.name}`}>
      <header className="card-head">
        <span className="gpu-index">GPU {gpu.index}</span>
        <h3 className="gpu-name" title={gpu.uuid}>
          {gpu.name}
        </h3>
        {gpu.migMode && gpu.migMode.toLowerCase() === 'enabled' && <span className="badge">MIG</span>}
      </header>
      <div className="vram">
        <div className="vram-label">
          <span>VRAM</span>
          <span className="num fixed-wide">
            <Figure value={used === null ? null : mib(used)} /> / <Figure value={total === null ? null : mib(total)} />
          </span>
        </div>
        <div
          className="meter"
          role="meter"
          aria-label={`GPU ${gpu.index} memory used`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(usedPct)}
        >
          <div className="meter-reserved" style={{ width: `${reservedPct}%` }} title="reserved by the driver" />
          <div className="meter-used" style={{ left: `${reservedPct}%`, width: `${usedPct}%` }} />
        </div>
      </div>
      <dl className="gpu-figures">
        <div>
          <dt>Util</dt>
          <dd>
            <Figure value={gpu.utilizationPct} unit=" %" />
          </dd>
        </div>
        <div>
          <dt>Temp</dt>
          <dd>
            <Figure value={gpu.temperatureC} unit=" °C" />
          </dd>
        </div>
        <div>
          <dt>Power</dt>
          <dd>
            <Figure value={round(gpu.powerDrawW)} /> / <Figure value={round(gpu.powerLimitW)} unit=" W" />
          </dd>
        </div>
        <div>
          <dt>Fan</dt>
          <dd>
            <Figure value={gpu.fanPct} unit=" %" />
          </dd>
        </div>
        <div>
          <dt>SM clock</dt>
          <dd>
            <Figure value={gpu.smClockMHz} unit=" MHz" />
          </dd>
        </div>
      </dl>
      <button
        type="button"
        className="disclosure"
        aria-expanded={expanded}
        aria-controls={listId}
        onClick={() => ui((u) => toggleGpu(u, gpu.index))}
      >
        <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> Processes ({processes.length})
      </button>
      {expanded && (
        <table className="process-table" id={listId}>
          <thead>
            <tr>
              <th scope="col">PID</th>
              <th scope="col">Name</th>
              <th scope="col" className="right">
                Memory
              </th>
            </tr>
          </thead>
          <tbody>
            {processes.length === 0 && (
              <tr>
                <td colSpan={3} className="muted">
                  No compute processes.
                </td>
              </tr>
            )}
            {processes.map((p) => (
              <tr key={p.pid}>
                <td className="num">{p.pid}</td>
                <td className="process-name" title={p.name}>
                  {p.name}
                </td>
                <td className="num right">
                  <Figure value={p.usedMemoryBytes === null ? null : mib(p.usedMemoryBytes)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
});

export function GpuPanel(): React.JSX.Element {
  const sample = useDashboard(selectGpu);
  if (!sample) {
    return (
      <article className="card gpu-card gpu-none">
        <h3>GPU</h3>
        <p className="muted">Waiting for the first GPU sample…</p>
      </article>
    );
  }
  if (!sample.available || sample.gpus.length === 0) {
    return (
      <article className="card gpu-card gpu-none" aria-label="No NVIDIA GPU">
        <h3>No NVIDIA GPU — running on CPU</h3>
        <p className="muted">{sample.reason ?? 'nvidia-smi reported no GPU.'}</p>
      </article>
    );
  }
  return (
    <>
      {sample.gpus.map((gpu) => (
        <GpuCard key={gpu.uuid} gpu={gpu} processes={sample.processes.filter((p) => p.gpuUuid === gpu.uuid)} />
      ))}
    </>
  );
}
