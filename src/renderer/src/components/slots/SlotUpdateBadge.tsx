import type { SlotId } from '../../../../shared/slots/slots.js';
import { fileSize } from '../../display/figures.js';
import { selectPending } from '../../store/selectors.js';
import { useCommand, useDashboard } from '../../store/use-dashboard.js';
import './slot-extras.css';

/** "Update available" when the slot's branch on the Hub has moved past the commit on disk, and the button that applies it. */
export function SlotUpdateBadge({ id }: { id: SlotId }): React.JSX.Element | null {
  const update = useDashboard((s) => s.model.updates.slots.find((u) => u.slot === id));
  const pending = useDashboard(selectPending(id));
  const send = useCommand();
  if (!update || update.status !== 'update-available') return null;
  const size = update.updateBytes === null ? 'size unknown' : fileSize(update.updateBytes);
  const updating = pending === 'applyUpdate';
  return (
    <span className="slot-update-group">
      <span
        className="slot-update"
        title={`${update.repo}: ${update.branch} is at ${update.remoteCommit?.slice(0, 8) ?? '?'} on the Hub; ${update.currentCommit?.slice(0, 8) ?? 'nothing'} is on disk. Downloading it takes ${size}.`}
      >
        update · {size}
      </span>
      <button
        type="button"
        className="button small slot-update-apply"
        disabled={pending !== undefined}
        aria-label={`Update ${id} to ${update.remoteCommit?.slice(0, 8) ?? 'the new revision'}`}
        title="Download and verify the new revision beside the one in use, then switch to it (reloading the slot if it is loaded). Roll back in Configure."
        onClick={() => send(id, 'applyUpdate', { slot: id })}
      >
        {updating ? 'Updating…' : 'Update'}
      </button>
    </span>
  );
}
