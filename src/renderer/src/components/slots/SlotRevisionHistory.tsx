import type { SlotId } from '../../../../shared/slots/slots.js';
import { relativeTime } from '../../display/figures.js';
import { selectCommandError, selectPending } from '../../store/selectors.js';
import { SLOT_CONFIG_KEY } from '../../store/ui-state.js';
import { useCommand, useDashboard } from '../../store/use-dashboard.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import './slot-extras.css';

function when(at: number | null, now: number): string {
  return at === null ? 'unknown' : relativeTime(at, now);
}

/** The slot's revisions (newest activation first) and a roll back to the one used before. */
export function SlotRevisionHistory({ id }: { id: SlotId }): React.JSX.Element | null {
  const history = useDashboard((s) => s.model.updates.history?.find((h) => h.slot === id));
  const pending = useDashboard(selectPending(SLOT_CONFIG_KEY));
  const failure = useDashboard(selectCommandError(SLOT_CONFIG_KEY));
  const send = useCommand();
  if (!history || history.entries.length === 0) return null;
  const now = Date.now();
  const entries = [...history.entries].reverse();
  const previous = entries.find((e) => e.commit !== history.active);
  return (
    <fieldset className="fieldset slot-revisions">
      <legend>Revisions</legend>
      <ol className="revision-list" aria-label={`Revisions of ${id}`}>
        {entries.map((e) => (
          <li key={e.commit} className={e.commit === history.active ? 'revision-active' : undefined}>
            <code title={e.commit}>{e.commit.slice(0, 12)}</code>
            {e.commit === history.active && <span className="tag tag-info">in use</span>}
            <span className="muted">fetched {when(e.fetchedAt, now)}</span>
            <span className="muted">{e.activatedAt === null ? 'never activated' : `activated ${relativeTime(e.activatedAt, now)}`}</span>
          </li>
        ))}
      </ol>
      {failure?.command === 'rollbackUpdate' && <ErrorNotice error={failure.error} />}
      <div className="revision-actions">
        <span className="muted">{history.repo} · older revisions stay in the cache until you delete them (On disk).</span>
        <button
          type="button"
          className="button small"
          disabled={!previous || pending !== undefined}
          onClick={() => send(SLOT_CONFIG_KEY, 'rollbackUpdate', { slot: id })}
        >
          {pending === 'rollbackUpdate' ? 'Rolling back…' : `Roll back${previous ? ` to ${previous.commit.slice(0, 8)}` : ''}`}
        </button>
      </div>
    </fieldset>
  );
}
