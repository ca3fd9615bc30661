import { useId, useRef, useState } from 'react';
import type { LoadPreview } from '../../../../shared/slots/load-preview.js';
import type { SerializedError } from '../../../../shared/errors/errors.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import { previewLines } from '../../display/load-preview-text.js';
import { useQuery } from '../../store/use-query.js';

type Tip = { kind: 'loading' } | { kind: 'preview'; preview: LoadPreview } | { kind: 'error'; error: SerializedError };

/**
 * Load with a preview on hover or focus: what it would evict, the pressure after, or the
 * refusal it would meet — asked of the backend's own planner each time, so it is never stale.
 */
export function LoadButton({ slot, disabled, onLoad }: { slot: SlotId; disabled: boolean; onLoad: () => void }): React.JSX.Element {
  const query = useQuery();
  const [tip, setTip] = useState<Tip | null>(null);
  const asked = useRef(0);
  const tipId = useId();

  const show = (): void => {
    if (disabled) return;
    const n = ++asked.current;
    setTip({ kind: 'loading' });
    void query('previewLoad', { slot }).then((r) => {
      if (asked.current !== n) return;
      setTip(r.ok ? { kind: 'preview', preview: r.result } : { kind: 'error', error: r.error });
    });
  };
  const hide = (): void => {
    asked.current++;
    setTip(null);
  };

  const lines = tip?.kind === 'preview' ? previewLines(tip.preview) : null;
  return (
    <>
      <button
        type="button"
        className="button primary"
        disabled={disabled}
        aria-describedby={tip ? tipId : undefined}
        onMouseEnter={show}
        onMouseLeave={hide}
        onFocus={show}
        onBlur={hide}
        onClick={() => {
          hide();
          onLoad();
        }}
      >
        Load
      </button>
      {tip && (
        <div id={tipId} role="tooltip" className={`load-preview tone-${lines?.tone ?? 'ok'}`} data-testid="load-preview">
          {tip.kind === 'loading' && <p className="muted">Working out what Load would do…</p>}
          {tip.kind === 'error' && <p>Preview unavailable: {tip.error.code} {tip.error.message}</p>}
          {lines && (
            <>
              <p className="load-preview-head">{lines.head}</p>
              {lines.evicts && <p className="load-preview-evicts">{lines.evicts}</p>}
              {lines.outcome && <p className="load-preview-outcome">{lines.outcome}</p>}
            </>
          )}
        </div>
      )}
    </>
  );
}
