import { memo, useMemo } from 'react';
import { revisionLabel, type SlotDownloadProgress } from '../../../../shared/artifacts/artifacts.js';
import { duration, fileSize, speed } from '../../display/figures.js';
import { downloadCounts, downloadsView, isDownloadRunning, selectDownloads, selectPending, slotActions } from '../../store/selectors.js';
import { useDashboard } from '../../store/use-dashboard.js';
import { DownloadControls } from './DownloadControls.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { ProgressBar } from '../common/ProgressBar.js';
import { RetryNote } from './RetryNote.js';

const DownloadRow = memo(function DownloadRow({ d }: { d: SlotDownloadProgress }): React.JSX.Element {
  const pending = useDashboard(selectPending(d.slot));
  const slot = useDashboard((s) => s.model.slots[d.slot]);
  const actions = slotActions(slot, undefined, undefined, d, pending);
  const label = revisionLabel(d);
  return (
    <li className="download" data-slot={d.slot}>
      <div className="download-head">
        <span className="slot-id">{d.slot}</span>
        {label && <span className="dl-label muted" title={`${d.revision?.from ?? ''} → ${d.revision?.to ?? ''}`}>{label}</span>}
        <span className={`phase phase-${d.retry ? 'retrying' : d.phase}`}>{d.retry ? 'retrying' : d.phase}</span>
        <ProgressBar value={d.bytes} total={d.total} label={`Download of ${d.slot}`} tone={d.phase === 'paused' || d.phase === 'queued' ? 'muted' : 'accent'} stopped={!isDownloadRunning(d)} />
        <span className="num dl-bytes">
          {fileSize(d.bytes)} / {fileSize(d.total)}
        </span>
        <span className="num dl-speed">{d.phase === 'downloading' ? speed(d.speedBps) : ''}</span>
        <span className="num dl-eta">{d.phase === 'downloading' ? `ETA ${duration(d.etaSeconds)}` : ''}</span>
        <DownloadControls d={d} actions={actions} />
      </div>
      {d.retry && <RetryNote retry={d.retry} />}
      <ul className="download-files">
        {d.files.map((f) => (
          <li key={f.file} className="download-file">
            <span className="file-name" title={f.file}>
              {f.file}
            </span>
            <span className={`phase phase-${f.phase}`}>{f.phase}</span>
            <ProgressBar value={f.bytes} total={f.total} label={`${d.slot} ${f.file}`} tone={f.phase === 'done' ? 'ok' : 'accent'} stopped={f.phase !== 'downloading' && f.phase !== 'resolving' && f.phase !== 'verifying'} />
            <span className="num dl-bytes">
              {fileSize(f.bytes)} / {fileSize(f.total)}
            </span>
            <span className="num dl-speed">{f.phase === 'downloading' ? speed(f.speedBps) : ''}</span>
            <span className="num dl-eta">{f.phase === 'downloading' ? duration(f.etaSeconds) : ''}</span>
          </li>
        ))}
      </ul>
      {d.error && <ErrorNotice error={d.error} compact />}
    </li>
  );
});

export function DownloadsPanel(): React.JSX.Element {
  const downloads = useDashboard(selectDownloads);
  const rows = useMemo(() => downloadsView(downloads), [downloads]);
  const counts = downloadCounts(rows);
  return (
    <section className="card downloads" aria-labelledby="downloads-title">
      <h2 id="downloads-title" className="card-title">
        Downloads <span className="muted num">· {counts.running} active{counts.queued > 0 ? ` · ${counts.queued} queued` : ''}</span>
      </h2>
      {rows.length === 0 ? (
        <p className="muted">No downloads running.</p>
      ) : (
        <ul className="download-list">
          {rows.map((d) => (
            <DownloadRow key={d.slot} d={d} />
          ))}
        </ul>
      )}
    </section>
  );
}
