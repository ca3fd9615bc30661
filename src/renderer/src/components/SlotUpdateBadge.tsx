import type { SlotId } from '../../../shared/slots.js';
import { fileSize } from '../display/figures.js';
import { useDashboard } from '../store/use-dashboard.js';
import './slot-extras.css';

/** "Update available" when the slot's branch on the Hub has moved past the commit on disk. */
export function SlotUpdateBadge({ id }: { id: SlotId }): React.JSX.Element | null {
  const update = useDashboard((s) => s.model.updates.slots.find((u) => u.slot === id));
  if (!update || update.status !== 'update-available') return null;
  const size = update.updateBytes === null ? 'size unknown' : fileSize(update.updateBytes);
  return (
    <span
      className="slot-update"
      title={`${update.repo}: ${update.branch} is at ${update.remoteCommit?.slice(0, 8) ?? '?'} on the Hub; ${update.currentCommit?.slice(0, 8) ?? 'nothing'} is on disk. Downloading it takes ${size}.`}
    >
      update · {size}
    </span>
  );
}
