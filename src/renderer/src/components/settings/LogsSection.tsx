import { useState } from 'react';
import { diagnosticsText } from '../../display/diagnostics.js';
import { useDashboard } from '../../store/use-dashboard.js';
import { useQuery } from '../../store/use-query.js';

const DIAGNOSTIC_LINES = 500;

/** Settings → Logs: the debug toggle, the log file (open or download) and "Copy diagnostics". */
export function LogsSection({ debug, onDebug }: { debug: boolean; onDebug: (on: boolean) => void }): React.JSX.Element {
  const query = useQuery();
  const mode = useDashboard((s) => s.model.runtime?.mode ?? null);
  const runtime = useDashboard((s) => s.model.runtime);
  const gpu = useDashboard((s) => s.model.gpu);
  const devices = useDashboard((s) => s.model.devices);
  const settings = useDashboard((s) => s.model.settings);
  const [status, setStatus] = useState('');
  const [text, setText] = useState<string | null>(null);

  const copy = async (): Promise<void> => {
    setStatus('Collecting…');
    const log = await query('readLog', { lines: DIAGNOSTIC_LINES });
    const body = diagnosticsText({
      runtime, gpu, devices, settings, userAgent: navigator.userAgent,
      logFile: log.ok ? log.result.file : null,
      logLines: log.ok ? log.result.lines : [`(the log could not be read: ${log.error.code} ${log.error.message})`],
    });
    setText(body);
    try {
      await navigator.clipboard.writeText(body);
      setStatus('Copied to the clipboard.');
    } catch {
      setStatus('The clipboard is not available here: select the text below and copy it.');
    }
  };

  const download = async (): Promise<void> => {
    const log = await query('readLog', { lines: 5000 });
    if (!log.ok) {
      setStatus(`${log.error.code} ${log.error.message}`);
      return;
    }
    const url = URL.createObjectURL(new Blob([log.result.lines.join('\n') + '\n'], { type: 'application/x-ndjson' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'modelbay.log';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const open = async (): Promise<void> => {
    const r = await query('openLogs', {});
    setStatus(r.ok ? (r.result.opened ? `Opened ${r.result.path ?? 'the log folder'}.` : `Could not open ${r.result.path ?? 'the log folder'}.`) : `${r.error.code} ${r.error.message}`);
  };

  return (
    <fieldset className="fieldset logs-section">
      <legend>Logs</legend>
      <label className="toggle">
        <input type="checkbox" checked={debug} onChange={(e) => onDebug(e.target.checked)} />
        Debug logging (more detail in the log file)
      </label>
      <div className="logs-actions">
        {mode === 'electron' ? (
          <button type="button" className="button" onClick={() => void open()}>
            Open logs
          </button>
        ) : (
          <button type="button" className="button" onClick={() => void download()}>
            Download log
          </button>
        )}
        <button type="button" className="button" onClick={() => void copy()}>
          Copy diagnostics
        </button>
      </div>
      <p className="field-hint logs-status" role="status">
        {status || 'For a bug report: version, OS, GPU, settings (never the token) and the last 500 log lines.'}
      </p>
      {text !== null && <textarea className="diagnostics-text" readOnly rows={6} value={text} aria-label="Diagnostics" onFocus={(e) => e.currentTarget.select()} />}
    </fieldset>
  );
}
