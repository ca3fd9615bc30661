import { useState } from 'react';
import type { SerializedError } from '../../../../shared/errors/errors.js';
import { ERROR_HELP, errorTitle } from '../../display/error-help.js';

/**
 * An error as users should read it: code, title, the plain explanation and the message.
 * Compact (on a card) it starts as two lines and opens in full on a click, so nothing
 * stays cut off.
 */
export function ErrorNotice({ error, onDismiss, compact = false }: { error: SerializedError; onDismiss?: () => void; compact?: boolean }): React.JSX.Element {
  const help = ERROR_HELP[error.code];
  const [open, setOpen] = useState(false);
  const folded = compact && !open;
  return (
    <div
      className={folded ? 'error-notice compact' : 'error-notice'}
      role="alert"
      title={folded ? `${error.code} ${errorTitle(error.code)}: ${error.message}\n${help}` : undefined}
      onClick={compact ? () => setOpen((o) => !o) : undefined}
    >
      <div className="error-head">
        <code className="error-code">{error.code}</code>
        <span className="error-title">{errorTitle(error.code)}</span>
        {compact && (
          <button
            type="button"
            className="disclosure error-toggle"
            aria-expanded={open}
            onClick={(e) => {
              e.stopPropagation();
              setOpen((o) => !o);
            }}
          >
            {open ? 'less' : 'more'}
          </button>
        )}
        {onDismiss && (
          <button
            type="button"
            className="icon-button"
            onClick={(e) => {
              e.stopPropagation();
              onDismiss();
            }}
            aria-label="Dismiss error"
          >
            ×
          </button>
        )}
      </div>
      <p className="error-help">{help}</p>
      {!folded && <p className="error-message">{error.message}</p>}
    </div>
  );
}
