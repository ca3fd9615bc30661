import { memo } from 'react';
import { migDeviceId } from '../../../../shared/devices/devices.js';
import type { GpuInfo, GpuProcess, MigInstance } from '../../../../shared/devices/gpu.js';
import { memory, mib } from '../../display/figures.js';
import { selectGpu } from '../../store/selectors.js';
import { toggleGpu } from '../../store/ui-state.js';
import { useDashboard, useUiUpdate } from '../../store/use-dashboard.js';
import { Figure } from '../common/Unknown.js';

function round(value: number | null, digits = 0): string | null {
  return value === null ? null : value.toFixed(digits);
}

/** A GPU in MIG mode: its instances, each a device slots can be placed on. */
function MigTable({ gpu, instances }: { gpu: GpuInfo; instances: MigInstance[] }): React.JSX.Element {
  if (instances.length === 0) return <p className="muted mig-none">MIG mode: instances not listed yet.</p>;
  return (
    <table className="process-table mig-table" aria-label={`GPU ${gpu.index} MIG instances`}>
      <thead>
        <tr>
          <th scope="col">MIG</th>
          <th scope="col" title="GPU instance / compute instance">
            GI/CI
          </th>
          <th scope="col" className="right">
            Used / total
          </th>
          <th scope="col" className="right">
            Free
          </th>
        </tr>
      </thead>
      <tbody>
        {instances.map((i) => (
          <tr key={i.uuid} data-device={migDeviceId(i)}>
            <td title={`${i.uuid} — device ${migDeviceId(i)}`}>
              <span className="mig-profile">{i.profile ?? '?'}</span> <span className="muted">#{i.index}</span>
            </td>
            <td className="num">
              <Figure value={i.gpuInstanceId} />/<Figure value={i.computeInstanceId} />
            </td>
            <td className="num right">
              <Figure value={i.memoryUsedBytes === null ? null : memory(i.memoryUsedBytes)} /> / <Figure value={i.memoryTotalBytes === null ? null : memory(i.memoryTotalBytes)} />
            </td>
            <td className="num right mig-free">
              <Figure value={i.memoryFreeBytes === null ? null : memory(i.memoryFreeBytes)} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const GpuCard = memo(function GpuCard({ gpu, processes, processesKnown }: { gpu: GpuInfo; processes: GpuProcess[]; processesKnown: boolean }): React.JSX.Element {
  const expanded = useDashboard((s) => s.ui.expandedGpus.includes(gpu.index));
  const ui = useUiUpdate();
  const total = gpu.memoryTotalBytes;
  const used = gpu.memoryUsedBytes;
  const reserved = gpu.memoryReservedBytes ?? 0;
  const usedPct = total && used !== null ? (used / total) * 100 : 0;
  const reservedPct = total ? (reserved / total) * 100 : 0;
  const listId = `gpu-${gpu.index}-processes`;
  const isMig = (gpu.migMode ?? '').toLowerCase() === 'enabled';

  return (
    <article className="card gpu-card" aria-label={`GPU ${gpu.index} ${gpu.name}`}>
      <header className="card-head">
        <span className="gpu-index">GPU {gpu.index}</span>
        <h3 className="gpu-name" title={gpu.uuid}>
          {gpu.name}
        </h3>
        {isMig && <span className="badge">MIG</span>}
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
      {isMig && <MigTable gpu={gpu} instances={gpu.migInstances ?? []} />}
      <button
        type="button"
        className="disclosure"
        aria-expanded={expanded}
        aria-controls={listId}
        onClick={() => ui((u) => toggleGpu(u, gpu.index))}
      >
        <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> Processes ({processesKnown ? processes.length : 'unknown'})
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
                  {processesKnown ? 'No compute processes.' : 'Unknown: nvidia-smi did not list them (EMB-E308).'}
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
    // Each state has its own title: a hang or a lost driver is not "no GPU".
    const title = sample.title ?? 'No NVIDIA GPU — running on CPU';
    return (
      <article className="card gpu-card gpu-none" aria-label={title} data-state={sample.state ?? 'unknown'}>
        <h3>{title}</h3>
        <p className="muted">{sample.reason ?? 'nvidia-smi reported no GPU.'}</p>
      </article>
    );
  }
  return (
    <>
      {sample.gpus.map((gpu) => (
        <GpuCard key={gpu.uuid} gpu={gpu} processes={sample.processes.filter((p) => p.gpuUuid === gpu.uuid)} processesKnown={sample.processesKnown !== false} />
      ))}
    </>
  );
}
