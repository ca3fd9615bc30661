import { memo, useMemo } from 'react';
import type { SlotDownloadProgress } from '../../../shared/artifacts.js';
import { duration, fileSize, speed } from '../display/figures.js';
import { downloadsView, isDownloadActive, selectDownloads, selectPending, slotActions } from '../store/selectors.js';
import { useCommand, useDashboard } from '../store/use-dashboard.js';
import { ErrorNotice } from './ErrorNotice.js';
import { ProgressBar } from './ProgressBar.js';
import { RetryNote } from './RetryNote.js';

const DownloadRow = memo(function DownloadRow({ d }: { d: SlotDownloadProgress }): React.JSX.Element {
  const pending = useDashboard(selectPending(d.slot));
  const send = useCommand();
  const slot = useDashboard((s) => s.model.slots[d.slot]);
  const actions = slotActions(slot, undefined, undefined, d, pending !== undefined);
  return (
    <li className="download" data-slot={d.slot}>
      <div className="download-head">
        <span className="slot-id">{d.slot}</span>
        <span className={`phase phase-${d.retry ? 'retrying' : d.phase}`}>{d.retry ? 'retrying' : d.phase}</span>
        <ProgressBar value={d.bytes} total={d.total} label={`Download of ${d.slot}`} tone={d.phase === 'paused' ? 'muted' : 'accent'} stopped={!isDownloadActive(d)} />
        <span className="num dl-bytes">
          {fileSize(d.bytes)} / {fileSize(d.total)}
        </span>
        <span className="num dl-speed">{d.phase === 'downloading' ? speed(d.speedBps) : ''}</span>
        <span className="num dl-eta">{d.phase === 'downloading' ? `ETA ${duration(d.etaSeconds)}` : ''}</span>
        <span className="dl-actions">
          {d.phase === 'paused' || d.phase === 'failed' ? (
            // The backend's resume() starts a failed download again too, so Retry is the same command.
            <button type="button" className="button small" disabled={!actions.resume} onClick={() => send(d.slot, 'resumeDownload', { slot: d.slot })}>
              {d.phase === 'failed' ? 'Retry' : 'Resume'}
            </button>
          ) : (
            <button type="button" className="button small" disabled={!actions.pause} onClick={() => send(d.slot, 'pauseDownload', { slot: d.slot })}>
              Pause
            </button>
          )}
          <button type="button" className="button small" disabled={!actions.cancel} onClick={() => send(d.slot, 'cancelDownload', { slot: d.slot })}>
            Cancel
          </button>
        </span>
      </div>
      {d.retry && <RetryNote retry={d.retry} />}
      <ul className="download-files">
        {d.files.map((f) => (
          <li key={f.file} className="download-file">
            <span className="file-name" title={f.file}>
              {f.file}
            </span>
            <span className={`phase phase-${f.phase}`}>{f.phase}</span>
            <ProgressBar value={f.bytes} total={f.total} label={`${d.slot} ${f.file}`} tone={f.phase === 'done' ? 'ok' : 'accent'} stopped={f.phase === 'failed' || f.phase === 'cancelled'} />
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
  return (
    <section className="card downloads" aria-labelledby="downloads-title">
      <h2 id="downloads-title" className="card-title">
        Downloads <span className="muted num">· {rows.filter(isDownloadActive).length} active</span>
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
