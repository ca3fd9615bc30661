import type { SlotDownloadProgress } from '../../../../shared/artifacts/artifacts.js';
import type { SlotActions } from '../../store/selectors.js';
import { useCommand } from '../../store/use-dashboard.js';

/** Pause or Resume (Retry after a failure) and Cancel, the same wherever a download shows. */
export function DownloadControls({ d, actions }: { d: SlotDownloadProgress; actions: SlotActions }): React.JSX.Element {
  const send = useCommand();
  const stopped = d.phase === 'paused' || d.phase === 'failed';
  return (
    <span className="dl-actions">
      {stopped ? (
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
  );
}
