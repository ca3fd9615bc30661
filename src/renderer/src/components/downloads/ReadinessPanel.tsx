import type { ReadinessStatus, SlotReadiness } from '../../../../shared/artifacts/artifacts.js';
import { useShallow } from 'zustand/react/shallow';
import { fileSize, missingText, unknownSizesTip, unknownSlotsTip } from '../../display/figures.js';
import { readinessSummary, selectPending, selectReadiness, unknownSizeFiles } from '../../store/selectors.js';
import { GLOBAL_KEY } from '../../store/ui-state.js';
import { useCommand, useDashboard } from '../../store/use-dashboard.js';
import { ClearCacheButton, DeleteFilesButton } from './CacheControls.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { OFFLINE_REASON, useOffline } from '../header/OfflineBadge.js';

const STATUS_LABEL: Record<ReadinessStatus, string> = {
  ready: 'ready',
  missing: 'missing',
  partial: 'partial',
  failed: 'failed',
  'no-model': 'no model',
};

/** "120 MB / 120 MB"; a lower bound when some sizes are unknown; a dash for a slot with no model (no files to have). */
function PresentOfTotal({ r }: { r: SlotReadiness }): React.JSX.Element {
  if (r.status === 'no-model') {
    return (
      <span className="unknown" title="no model: no files to have">
        —
      </span>
    );
  }
  const unknown = unknownSizeFiles(r);
  return (
    <>
      {fileSize(r.presentBytes)} /{' '}
      {unknown > 0 ? (
        <span className="unknown" title={unknownSizesTip(unknown)}>
          {r.totalBytes > 0 ? `≥ ${fileSize(r.totalBytes)}` : 'unknown'}
        </span>
      ) : (
        fileSize(r.totalBytes)
      )}
    </>
  );
}

export function ReadinessPanel(): React.JSX.Element {
  const report = useDashboard(selectReadiness);
  const summary = useDashboard(useShallow(readinessSummary));
  const pending = useDashboard(selectPending(GLOBAL_KEY));
  const globalError = useDashboard((s) => s.ui.errors[GLOBAL_KEY]);
  const send = useCommand();
  const offline = useOffline();
  return (
    <section className="card readiness" aria-labelledby="readiness-title">
      <div className="card-title-row">
        <h2 id="readiness-title" className="card-title">
          Readiness{' '}
          {summary && (
            <span className="muted num">
              · {summary.ready}/{summary.total} ready ·{' '}
              {summary.unknownSlots > 0 ? (
                <span className="unknown readiness-unknown" title={unknownSlotsTip(summary.unknownSlots)}>
                  {missingText(summary.missingBytes, summary.unknownSlots, summary.total)}
                </span>
              ) : (
                missingText(summary.missingBytes, 0, summary.total)
              )}
            </span>
          )}
        </h2>
        <div className="readiness-actions">
          <ClearCacheButton />
          <button type="button" className="button primary" disabled={pending !== undefined || offline} title={offline ? OFFLINE_REASON : undefined} onClick={() => send(GLOBAL_KEY, 'downloadAll', {})}>
            Download &amp; verify all
          </button>
        </div>
      </div>
      {offline && <p className="offline-note">{OFFLINE_REASON}</p>}
      {globalError && <ErrorNotice error={globalError.error} />}
      {!report ? (
        <p className="muted">No readiness report yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="readiness-table">
            <thead>
              <tr>
                <th scope="col">Slot</th>
                <th scope="col">Status</th>
                <th scope="col" className="right">
                  Present / total
                </th>
                <th scope="col">Reason</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {report.slots.map((r) => (
                <tr key={r.slot}>
                  <td className="slot-id">{r.slot}</td>
                  <td>
                    <span className={`status status-${r.status}`}>{STATUS_LABEL[r.status]}</span>
                  </td>
                  <td className="num right">
                    <PresentOfTotal r={r} />
                  </td>
                  <td className="reason" title={r.reason ?? undefined}>
                    {r.code && <code className="error-code">{r.code}</code>} {r.reason ?? ''}
                  </td>
                  <td className="row-actions">
                    <DeleteFilesButton r={r} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
