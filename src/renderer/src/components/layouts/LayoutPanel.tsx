/**
 * Layout: "Lock layout" saves modelbay.lock.json, "Restore from lockfile…" reads one and
 * shows what would change per slot (like the load preview) before anything happens, and a
 * badge says when the running layout has drifted from the last lockfile written or
 * restored here.
 */
import { count } from '../../../../shared/values/counts.js';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { toModelbayError, type SerializedError } from '../../../../shared/errors/errors.js';
import { DEFAULT_LOCKFILE_NAME, parseLockfile, serializeLockfile, type LayoutStatus, type Lockfile, type RestorePreview, type RestoreResult } from '../../../../shared/layouts/layouts.js';
import { getApi } from '../../api/index.js';
import { fileSize } from '../../display/figures.js';
import { useDashboard } from '../../store/use-dashboard.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { DialogHead, ModalDialog } from '../common/ModalDialog.js';

const show = (v: string | number | boolean | null): string => (v === null ? '—' : v === true ? 'yes' : v === false ? 'no' : String(v));

function saveFile(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function LayoutPanel(): React.JSX.Element {
  const api = getApi();
  const [status, setStatus] = useState<LayoutStatus | null>(null);
  const [error, setError] = useState<SerializedError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [pending, setPending] = useState<{ lock: Lockfile; file: string; preview: RestorePreview } | null>(null);
  const [result, setResult] = useState<RestoreResult | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const titleId = useId();
  // Re-read the drift whenever the slots or the settings change.
  const slots = useDashboard((s) => s.model.slots);
  const settings = useDashboard((s) => s.model.settings);
  const refresh = useCallback(() => {
    api.layoutStatus({}).then(setStatus, () => undefined);
  }, [api]);
  useEffect(refresh, [refresh, slots, settings]);

  const run = async (what: string, fn: () => Promise<void>): Promise<void> => {
    setBusy(what);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(toModelbayError(e).toJSON());
    } finally {
      setBusy(null);
      refresh();
    }
  };

  const lock = (): Promise<void> => run('lock', async () => {
    const r = await api.lockLayout({});
    saveFile(DEFAULT_LOCKFILE_NAME, serializeLockfile(r.lock));
    setResult(null);
  });

  const pick = (file: File): Promise<void> => run('read', async () => {
    const parsed = parseLockfile(await file.text());
    const preview = await api.previewRestore({ lock: parsed });
    setPending({ lock: parsed, file: file.name, preview });
  });

  const restore = (): Promise<void> => run('restore', async () => {
    if (!pending) return;
    const r = await api.restoreLock({ lock: pending.lock });
    setPending(null);
    setResult(r);
  });

  return (
    <section className="card layout-panel" aria-labelledby="layout-title">
      <div className="card-title-row">
        <h2 id="layout-title" className="card-title">
          Layout{' '}
          {status?.last && (
            status.differs
              ? <span className="badge badge-warn" title={status.differences.join('\n')}>differs from the last lockfile ({status.differences.length})</span>
              : <span className="badge">matches the lockfile {status.last.how} {new Date(status.last.recordedAt).toLocaleString()}</span>
          )}
        </h2>
        <div className="readiness-actions">
          <button type="button" className="button" disabled={busy !== null} onClick={() => input.current?.click()}>
            Restore from lockfile…
          </button>
          <button type="button" className="button primary" disabled={busy !== null} onClick={() => void lock()}>
            {busy === 'lock' ? 'Locking…' : 'Lock layout'}
          </button>
          <input
            ref={input}
            type="file"
            accept=".json,application/json"
            aria-label="Lockfile to restore"
            hidden
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (f) void pick(f);
            }}
          />
        </div>
      </div>
      <p className="muted">
        A lockfile pins every downloaded slot to its repository, commit and file bytes (SHA-256), with its device, alias, pin and preload: restore it here or on another machine, or
        export it to Triton or KServe with <code>modelbay export</code>.
      </p>
      {error && <ErrorNotice error={error} />}
      {status?.differs && (
        <ul className="layout-differences">
          {status.differences.slice(0, 8).map((d) => <li key={d}><code>{d}</code></li>)}
        </ul>
      )}
      {result && (
        <ul className="layout-result" aria-label="Restore result">
          {result.slots.map((r) => (
            <li key={r.slot} className={r.ok ? 'ok' : 'failed'}>
              <strong>{r.slot}</strong> {r.ok ? `restored and verified on ${r.device.used}` : `${r.error?.code ?? ''} ${r.error?.message ?? 'failed'}`}
              {r.ok && r.device.fellBack ? ` (locked to ${r.device.wanted}, which this machine does not have)` : ''}
            </li>
          ))}
        </ul>
      )}
      <ModalDialog open={pending !== null} onClose={() => setPending(null)} labelledBy={titleId} className="confirm-dialog">
        {pending && (
          <div className="config-form">
            <DialogHead id={titleId} closeLabel="Close" onClose={() => setPending(null)}>
              Restore {pending.file}?
            </DialogHead>
            <p>
              {count(pending.preview.slots.length, 'locked slot')} from Modelbay {pending.lock.modelbay}, {new Date(pending.lock.createdAt).toLocaleString()}.
              {' '}To download: <strong className="num">{fileSize(pending.preview.downloadBytes)}</strong>. Every file is checked against the lockfile&apos;s SHA-256.
            </p>
            <table className="readiness-table layout-preview">
              <thead>
                <tr><th scope="col">Slot</th><th scope="col">What changes</th></tr>
              </thead>
              <tbody>
                {pending.preview.slots.map((s) => (
                  <tr key={s.slot}>
                    <th scope="row">{s.slot}</th>
                    <td>
                      {s.blocked ? <span className="config-lock">{s.blocked.message}</span> : s.changes.length === 0 ? <span className="muted">nothing: already as locked</span> : (
                        <ul className="plain-list">
                          {s.changes.map((c) => <li key={c.field}>{c.field}: {show(c.from)} → <strong>{show(c.to)}</strong></li>)}
                        </ul>
                      )}
                      {s.deviceFallback && <div className="muted">{s.deviceFallback.wanted} is not on this machine: runs on {s.deviceFallback.used}</div>}
                      {s.downloadBytes > 0 && <div className="muted num">downloads {fileSize(s.downloadBytes)}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {pending.preview.untouched.length > 0 && <p className="muted">Not in the lockfile, left as they are: {pending.preview.untouched.join(', ')}.</p>}
            <div className="dialog-actions">
              <button type="button" className="button" onClick={() => setPending(null)}>Cancel</button>
              <button type="button" className="button primary" disabled={busy !== null} onClick={() => void restore()}>
                {busy === 'restore' ? 'Restoring…' : 'Restore'}
              </button>
            </div>
          </div>
        )}
      </ModalDialog>
    </section>
  );
}
