import { memo, useMemo } from 'react';
import type { ActivityEntry, ActivityKind } from '../../../../shared/contract/activity.js';
import { activityText } from '../../display/activity-text.js';
import { clockTime } from '../../display/figures.js';
import { logEntryId } from '../../store/chart-markers.js';
import { activityView, selectActivity } from '../../store/selectors.js';
import { useDashboard, useUiUpdate } from '../../store/use-dashboard.js';

const KINDS: ActivityKind[] = ['loaded', 'unloaded', 'evicted', 'load-failed', 'session-lost', 'pinned', 'unpinned', 'pressure', 'download', 'verify', 'info', 'error'];
/** Rows rendered at once; the store keeps ACTIVITY_LIMIT. */
const VISIBLE = 200;

// Entries are immutable objects kept by reference in the store, so an id per object stays stable as newer entries push in.
const entryKeys = new WeakMap<ActivityEntry, number>();
let nextKey = 0;
function keyOf(e: ActivityEntry): number {
  let k = entryKeys.get(e);
  if (k === undefined) {
    k = nextKey++;
    entryKeys.set(e, k);
  }
  return k;
}

const Row = memo(function Row({ e }: { e: ActivityEntry }): React.JSX.Element {
  return (
    <li className={`log-row kind-${e.kind}`} id={logEntryId(e)}>
      <time className="num log-time" dateTime={new Date(e.at).toISOString()}>
        {clockTime(e.at)}
      </time>
      <span className="log-slot">{e.slot ?? '—'}</span>
      <span className={`log-kind kind-${e.kind}`}>{e.kind}</span>
      <span className="log-message">
        {activityText(e)}
        {e.code && <code className="error-code">{e.code}</code>}
      </span>
    </li>
  );
});

export function EventLog(): React.JSX.Element {
  const activity = useDashboard(selectActivity);
  const filter = useDashboard((s) => s.ui.activityFilter);
  const ui = useUiUpdate();
  const rows = useMemo(() => activityView(activity, filter).slice(0, VISIBLE), [activity, filter]);
  return (
    <section className="card event-log" aria-labelledby="log-title">
      <div className="card-title-row">
        <h2 id="log-title" className="card-title">
          Event log
        </h2>
        <label className="inline-field">
          Show{' '}
          <select aria-label="Event kinds shown" value={filter} onChange={(e) => ui((u) => ({ ...u, activityFilter: e.target.value as ActivityKind | 'all' }))}>
            <option value="all">all events</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ol className="log-list" aria-label="Events, newest first">
        {rows.length === 0 && <li className="muted">No events.</li>}
        {rows.map((e) => (
          <Row key={keyOf(e)} e={e} />
        ))}
      </ol>
    </section>
  );
}
