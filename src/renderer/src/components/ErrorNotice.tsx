import type { SerializedError } from '../../../shared/errors.js';
import { ERROR_HELP, errorTitle } from '../display/error-help.js';

/** An error as users should read it: code, title, the plain explanation and the message. */
export function ErrorNotice({ error, onDismiss, compact = false }: { error: SerializedError; onDismiss?: () => void; compact?: boolean }): React.JSX.Element {
  const help = ERROR_HELP[error.code];
  return (
    <div className={compact ? 'error-notice compact' : 'error-notice'} role="alert" title={`${error.code} ${errorTitle(error.code)}: ${error.message}\n${help}`}>
      <div className="error-head">
        <code className="error-code">{error.code}</code>
        <span className="error-title">{errorTitle(error.code)}</span>
        {onDismiss && (
          <button type="button" className="icon-button" onClick={onDismiss} aria-label="Dismiss error">
            ×
          </button>
        )}
      </div>
      <p className="error-help">{help}</p>
      {!compact && <p className="error-message">{error.message}</p>}
    </div>
  );
}
