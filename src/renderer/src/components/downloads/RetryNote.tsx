import type { RetryNotice } from '../../../../shared/artifacts/artifacts.js';
import { retryText } from '../../display/retry-text.js';
import { useNow } from '../../display/use-now.js';

/** Mounted only while a download waits to retry, so its 1 s countdown timer lives no longer. */
export function RetryNote({ retry }: { retry: RetryNotice }): React.JSX.Element {
  const now = useNow(1000);
  const text = retryText(retry, now);
  return (
    <span className="retry-note" role="status" title={text}>
      {text}
    </span>
  );
}
