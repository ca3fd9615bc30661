import { useShallow } from 'zustand/react/shallow';
import { memory, missingText, unknownSlotsTip } from '../../display/figures.js';
import { readinessSummary, selectConnected, selectPending, selectRuntime } from '../../store/selectors.js';
import { GLOBAL_KEY } from '../../store/ui-state.js';
import { OFFLINE_REASON, OFFLINE_REASON_ID, OfflineBadge, useOffline } from './OfflineBadge.js';
import { useCommand, useDashboard, useUiUpdate } from '../../store/use-dashboard.js';

export function Header(): React.JSX.Element {
  const connected = useDashboard(selectConnected);
  const runtime = useDashboard(selectRuntime);
  const summary = useDashboard(useShallow(readinessSummary));
  const stats = useDashboard(useShallow((s) => (s.model.stats ? { loaded: s.model.stats.loaded, bytes: s.model.stats.bytes } : null)));
  const pending = useDashboard(selectPending(GLOBAL_KEY));
  const send = useCommand();
  const ui = useUiUpdate();
  const offline = useOffline();
  const mode = runtime ? (runtime.mode === 'electron' ? 'desktop' : 'headless') : null;

  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ◆
        </span>
        <h1>Modelbay</h1>
        {mode && <span className="badge badge-mode" title={`${runtime?.platform ?? ''} · v${runtime?.version ?? ''}`}>{mode}</span>}
        {!connected && <span className="badge badge-warn">connecting…</span>}
        <OfflineBadge />
      </div>
      <div className="header-figures" aria-live="polite">
        <span className="readiness-summary num" title={summary ? unknownSlotsTip(summary.unknownSlots) : undefined}>
          {summary ? (
            <>
              <strong>
                {summary.ready}/{summary.total}
              </strong>{' '}
              ready · {missingText(summary.missingBytes, summary.unknownSlots, summary.total)}
            </>
          ) : (
            'readiness unknown'
          )}
        </span>
        {stats && (
          <span className="loaded-summary num">
            {stats.loaded} loaded · {memory(stats.bytes)}
          </span>
        )}
      </div>
      <div className="header-actions">
        <button
          type="button"
          className="button primary"
          disabled={pending !== undefined || !connected || offline}
          title={offline ? OFFLINE_REASON : undefined}
          aria-describedby={offline ? OFFLINE_REASON_ID : undefined}
          onClick={() => send(GLOBAL_KEY, 'downloadAll', {})}
        >
          {pending === 'downloadAll' ? 'Downloading…' : 'Download & verify all'}
        </button>
        <button type="button" className="button" onClick={() => ui((u) => ({ ...u, settingsOpen: true }))} aria-haspopup="dialog">
          Settings
        </button>
      </div>
    </header>
  );
}
