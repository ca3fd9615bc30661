import { useId, useState } from 'react';
import type { SerializedError } from '../../../../shared/errors/errors.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import type { SlotSnapshot } from '../../../../shared/slots/state.js';
import { formatValue, summarizeEmbedding, type EmbeddingSummary } from '../../display/embedding-summary.js';
import { duration, memory, relativeTime } from '../../display/figures.js';
import { useNow } from '../../display/use-now.js';
import { selectSlot } from '../../store/selectors.js';
import { useDashboard } from '../../store/use-dashboard.js';
import { useQuery } from '../../store/use-query.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { DialogHead, ModalDialog } from '../common/ModalDialog.js';

const HEALTH_TEXT: Record<SlotSnapshot['health'], string> = {
  unknown: 'unknown (not loaded)',
  healthy: 'healthy',
  degraded: 'degraded',
  unhealthy: 'unhealthy',
  loading: 'loading',
};

function Stats({ slot }: { slot: SlotSnapshot }): React.JSX.Element {
  const now = useNow(15_000);
  const rows: Array<[string, string]> = [
    ['State', slot.state],
    ['Health', HEALTH_TEXT[slot.health]],
    ['Uses (embed calls)', slot.useCount.toLocaleString('en-US')],
    ['Loads', slot.loadCount.toLocaleString('en-US')],
    ['Failures', slot.failures.toLocaleString('en-US')],
    ['Last load took', slot.lastLoadMs === null ? 'never loaded' : duration(slot.lastLoadMs / 1000)],
    ['Loaded', slot.loadedAt === null ? 'no' : `since ${relativeTime(slot.loadedAt, now)}`],
    ['Last used', relativeTime(slot.lastUsedAt, now)],
    ['Memory est. · measured', `${memory(slot.estimateBytes)} · ${slot.measuredBytes === null ? 'not measured yet' : memory(slot.measuredBytes)}`],
    ['Device', slot.device],
    ['Unloads when idle for', slot.idleTtlMs === null ? 'never' : duration(slot.idleTtlMs / 1000)],
  ];
  return (
    <dl className="details-stats">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className="num">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function TryIt({ slot }: { slot: SlotSnapshot }): React.JSX.Element {
  const query = useQuery();
  const [text, setText] = useState('The quick brown fox jumps over the lazy dog.');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<EmbeddingSummary | null>(null);
  const [error, setError] = useState<SerializedError | null>(null);
  const loaded = slot.state === 'loaded';
  const inputId = useId();

  const run = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    const started = performance.now();
    const r = await query('embed', { slot: slot.id, texts: [text] });
    const ms = performance.now() - started;
    setBusy(false);
    if (!r.ok) {
      setResult(null);
      setError(r.error);
      return;
    }
    setResult(summarizeEmbedding(r.result.vectors[0] ?? [], r.result.dims, ms));
  };

  return (
    <form
      className="try-it"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <label htmlFor={inputId}>Text to embed</label>
      <textarea id={inputId} rows={3} value={text} maxLength={8192} onChange={(e) => setText(e.target.value)} disabled={!loaded} />
      <div className="dialog-actions">
        <span className="muted">{loaded ? 'Runs one embedding on the loaded session.' : `Load ${slot.id} to try it.`}</span>
        <button type="submit" className="button primary" disabled={!loaded || busy || text.trim() === ''}>
          {busy ? 'Embedding…' : 'Embed'}
        </button>
      </div>
      {error && <ErrorNotice error={error} />}
      {result && (
        <dl className="details-stats try-result" aria-label="Embedding result">
          <div>
            <dt>Dimensions</dt>
            <dd className="num">{result.rows > 1 ? `${result.rows} × ${result.dims}` : result.dims}</dd>
          </div>
          <div>
            <dt>Norm</dt>
            <dd className="num">{result.norm.toFixed(4)}</dd>
          </div>
          <div>
            <dt>Latency</dt>
            <dd className="num">{Math.round(result.latencyMs)} ms</dd>
          </div>
          <div className="wide">
            <dt>First values</dt>
            <dd>
              <code>[{result.first.map(formatValue).join(', ')}, …]</code>
            </dd>
          </div>
        </dl>
      )}
    </form>
  );
}

/** "Details" on a card: the slot's stats and health, and "Try it" (one embedding) when it is loaded. */
export function SlotDetailsButton({ id }: { id: SlotId }): React.JSX.Element {
  const [open, setOpen] = useState(false);
  const slot = useDashboard(selectSlot(id));
  const titleId = useId();
  return (
    <>
      <button type="button" className="button small" aria-haspopup="dialog" aria-label={`Details of ${id}`} title="Stats, health and Try it" onClick={() => setOpen(true)}>
        {slot?.state === 'loaded' ? 'Try it' : 'Details'}
      </button>
      <ModalDialog open={open} onClose={() => setOpen(false)} labelledBy={titleId} className="details-dialog">
        {slot && (
          <div className="config-form">
            <DialogHead id={titleId} closeLabel="Close" onClose={() => setOpen(false)}>
              {id} {slot.name}
            </DialogHead>
            <fieldset className="fieldset">
              <legend>Stats and health</legend>
              <Stats slot={slot} />
            </fieldset>
            <fieldset className="fieldset">
              <legend>Try it</legend>
              <TryIt slot={slot} />
            </fieldset>
          </div>
        )}
      </ModalDialog>
    </>
  );
}
