import { memo, useState } from 'react';
import type { CatalogSlotView, SlotDownloadProgress } from '../../../../shared/artifacts/artifacts.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import type { SlotSnapshot, SlotState } from '../../../../shared/slots/state.js';
import { noModelSentence } from '../../../../shared/slots/state-words.js';
import { fileSize, memory, percent, relativeTime } from '../../display/figures.js';
import { useNow } from '../../display/use-now.js';
import {
  selectCatalogEntry,
  selectCommandError,
  selectDownload,
  selectHasOwnSource,
  selectPending,
  selectSlot,
  selectSlotReadiness,
  slotActions,
} from '../../store/selectors.js';
import { slotNotice } from '../../store/slot-notice.js';
import { dismissError, openSlotConfig } from '../../store/ui-state.js';
import { useCommand, useDashboard, useUiUpdate } from '../../store/use-dashboard.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { LoadButton } from './LoadButton.js';
import { SlotDetailsButton } from './SlotDetails.js';
import { ProgressBar } from '../common/ProgressBar.js';
import { RetryNote } from '../downloads/RetryNote.js';
import { SlotAlias } from './SlotAlias.js';
import { SlotHealth } from './SlotHealth.js';
import { SlotUpdateBadge } from './SlotUpdateBadge.js';
import { DownloadControls } from '../downloads/DownloadControls.js';
import type { SlotActions } from '../../store/selectors.js';

const STATE_LABEL: Record<SlotState, string> = {
  missing: 'missing',
  downloading: 'downloading',
  verifying: 'verifying',
  ready: 'ready',
  loading: 'loading',
  loaded: 'loaded',
  unloading: 'unloading',
  failed: 'failed',
};

/** An empty slot reads "no model" here as in the readiness panel: one word per state. */
function StateBadge({ state, download, noModel }: { state: SlotState; download: SlotDownloadProgress | undefined; noModel: boolean }): React.JSX.Element {
  const pct = state === 'downloading' && download?.total ? ` ${percent(download.bytes / download.total)}` : '';
  return (
    <span className={`state-badge state-${state}`} data-state={state}>
      {state === 'missing' && noModel ? 'no model' : STATE_LABEL[state]}
      {pct && <span className="num">{pct}</span>}
    </span>
  );
}

function ModelLine({ catalog, custom }: { catalog: CatalogSlotView | undefined; custom: boolean }): React.JSX.Element {
  if (!catalog) return <p className="slot-model muted">Catalog entry not known yet</p>;
  if (catalog.status === 'none' || !catalog.repo) {
    return (
      <p className="slot-model" title={catalog.note ?? undefined}>
        <span className="tag tag-warn">no default model — choose one</span>
      </p>
    );
  }
  return (
    <p className="slot-model" title={[catalog.repo, catalog.revision, catalog.note].filter(Boolean).join('\n')}>
      <span className="repo">{catalog.repo}</span>
      {catalog.variant && <span className="tag">{catalog.variant}</span>}
      {catalog.status === 'stand-in' && <span className="tag tag-info">stand-in</span>}
      {custom && (
        <span className="tag tag-info" title="Chosen in Configure, instead of the catalog default">
          your model
        </span>
      )}
    </p>
  );
}

function SizeFigures({ slot, noModel }: { slot: SlotSnapshot; noModel: boolean }): React.JSX.Element {
  // No model, nothing to estimate: a figure here would be the catalog's guess for a model the slot does not have.
  if (noModel) {
    return (
      <span className="unknown" title="no model: nothing to estimate or measure">
        —
      </span>
    );
  }
  return (
    <span className="num" title="estimate before loading · measured after load and warm-up">
      ~{memory(slot.estimateBytes)}
      {' · '}
      {slot.measuredBytes === null ? (
        <span className="unknown" title="not measured yet: measured after a load and one warm-up run">
          —
        </span>
      ) : (
        memory(slot.measuredBytes)
      )}
    </span>
  );
}

function DownloadLine({ download, actions }: { download: SlotDownloadProgress; actions: SlotActions }): React.JSX.Element {
  const running = download.phase === 'resolving' || download.phase === 'downloading' || download.phase === 'verifying';
  return (
    <div className="slot-download">
      <ProgressBar value={download.bytes} total={download.total} label={`Download of ${download.slot}`} tone={running ? 'accent' : 'muted'} stopped={!running} />
      <div className="slot-download-row">
        <span className="num slot-download-figures">
          {fileSize(download.bytes)} / {fileSize(download.total)} · {download.retry ? 'retrying' : download.phase}
        </span>
        <DownloadControls d={download} actions={actions} />
      </div>
      {download.retry && <RetryNote retry={download.retry} />}
    </div>
  );
}

export const SlotCard = memo(function SlotCard({ id }: { id: SlotId }): React.JSX.Element {
  const slot = useDashboard(selectSlot(id));
  const catalog = useDashboard(selectCatalogEntry(id));
  const download = useDashboard(selectDownload(id));
  const readiness = useDashboard(selectSlotReadiness(id));
  const pending = useDashboard(selectPending(id));
  const commandError = useDashboard(selectCommandError(id));
  const custom = useDashboard(selectHasOwnSource(id));
  const send = useCommand();
  const ui = useUiUpdate();
  const now = useNow(15_000);
  const [confirmEvict, setConfirmEvict] = useState(false);

  if (!slot) {
    return (
      <article className="card slot-card" aria-label={`Slot ${id}`} data-slot={id}>
        <header className="slot-head">
          <span className="slot-id">{id}</span>
        </header>
        <p className="muted">Waiting for the app…</p>
      </article>
    );
  }

  const actions = slotActions(slot, catalog, readiness, download, pending);
  const noModel = catalog?.status === 'none' || (!catalog && readiness?.status === 'no-model');
  // Pin and Preload of an empty slot would hold nothing (the API refuses them); one left on can still be turned off.
  const pinWhy = noModel && !slot.pinned ? noModelSentence(id, 'pin it') : undefined;
  const preloadWhy = noModel && !slot.preload ? noModelSentence(id, 'preload it') : undefined;
  const notice = slotNotice(slot, commandError?.error, download);

  const evict = (): void => {
    if (slot.pinned && !confirmEvict) {
      setConfirmEvict(true);
      return;
    }
    setConfirmEvict(false);
    send(id, 'evict', { slot: id, force: slot.pinned });
  };

  return (
    <article className={`card slot-card state-${slot.state}`} aria-labelledby={`slot-${id}-title`} data-slot={id} aria-busy={pending !== undefined}>
      <header className="slot-head">
        <span className="slot-id">{id}</span>
        <h3 id={`slot-${id}-title`} className="slot-name">
          {slot.name}
        </h3>
        <SlotAlias id={id} />
        <SlotUpdateBadge id={id} />
        <StateBadge state={slot.state} download={download} noModel={!custom && noModel} />
      </header>
      <ModelLine catalog={catalog} custom={custom} />
      <dl className="slot-facts">
        <div>
          <dt>Memory est. · measured</dt>
          <dd>
            <SizeFigures slot={slot} noModel={noModel} />
          </dd>
        </div>
        <div>
          <dt>Device</dt>
          <dd className="num">{slot.device}</dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd className="num">{relativeTime(slot.lastUsedAt, now)}</dd>
        </div>
        <div>
          <dt>Uses</dt>
          <dd className="num">{slot.useCount.toLocaleString('en-US')}</dd>
        </div>
        <div className="wide">
          <dt>Licence</dt>
          <dd>
            {catalog?.license ?? <span className="muted">unknown</span>}
            {catalog?.gated && (
              <span className="tag tag-warn" title="Needs a Hugging Face token and an accepted licence">
                gated
              </span>
            )}
            {catalog?.license?.includes('-nc') && (
              <span className="tag tag-warn" title="Non-commercial licence">
                non-commercial
              </span>
            )}
          </dd>
        </div>
      </dl>
      {/* Health belongs with the slot's facts: between the toggles and the buttons it read as an empty band. */}
      <SlotHealth id={id} />
      <div className="slot-toggles">
        <label className="toggle" title={pinWhy}>
          <input
            type="checkbox"
            checked={slot.pinned}
            disabled={pending !== undefined || pinWhy !== undefined}
            onChange={() => send(id, slot.pinned ? 'unpin' : 'pin', { slot: id })}
          />
          Pin
        </label>
        <label className="toggle" title={preloadWhy}>
          <input
            type="checkbox"
            checked={slot.preload}
            disabled={pending !== undefined || preloadWhy !== undefined}
            onChange={() => send(id, 'setPreload', { slot: id, preload: !slot.preload })}
          />
          Preload
        </label>
        {pending && (
          <span className="pending" role="status">
            <span className="spinner" aria-hidden="true" /> {pending}…
          </span>
        )}
        <SlotDetailsButton id={id} />
        <button
          type="button"
          className="button small configure"
          aria-haspopup="dialog"
          aria-label={`Configure ${id}`}
          title="Device, idle time-out and model source"
          onClick={() => ui((u) => openSlotConfig(u, id))}
        >
          Configure
        </button>
      </div>
      <div className="slot-status">
        {notice?.kind === 'error' && (
          <ErrorNotice key={`${notice.error.code}:${notice.error.message}`} error={notice.error} compact onDismiss={notice.fromCommand ? () => ui((u) => dismissError(u, id)) : undefined} />
        )}
        {notice?.kind === 'download' && <DownloadLine download={notice.download} actions={actions} />}
      </div>
      {confirmEvict ? (
        <div className="slot-actions confirm" role="group" aria-label={`Confirm evicting pinned slot ${id}`}>
          <span className="confirm-text">{id} is pinned. Evict anyway?</span>
          <button type="button" className="button danger" onClick={evict} autoFocus>
            Evict anyway
          </button>
          <button type="button" className="button" onClick={() => setConfirmEvict(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <div className="slot-actions" role="group" aria-label={`Actions for ${id}`}>
          <button type="button" className="button" disabled={!actions.download} onClick={() => send(id, 'download', { slot: id })}>
            Download
          </button>
          <button type="button" className="button" disabled={!actions.verify} onClick={() => send(id, 'verify', { slot: id })}>
            Verify
          </button>
          <LoadButton slot={id} disabled={!actions.load} onLoad={() => send(id, 'load', { slot: id })} />
          <button type="button" className="button" disabled={!actions.evict} onClick={evict}>
            Evict
          </button>
        </div>
      )}
    </article>
  );
});
