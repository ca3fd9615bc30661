/**
 * "On disk": every ONNX model found in the Hugging Face cache (whoever downloaded it) and
 * in the user's model folders, its size, which slot uses it, and one choice to put it in
 * a slot without a download. Below, the cache's repositories with their revisions and
 * disk usage, like `hf cache scan`, with a two-step delete per revision.
 */
import { count } from '../../../../shared/values/counts.js';
import { useState } from 'react';
import type { DiskModel, DiskRepo } from '../../../../shared/artifacts/discovery.js';
import { SLOT_IDS, SLOT_NAMES, type SlotId } from '../../../../shared/slots/slots.js';
import { isInUse } from '../../../../shared/slots/state.js';
import { fileSize, relativeTime } from '../../display/figures.js';
import { useNow } from '../../display/use-now.js';
import { DISK_KEY } from '../../store/ui-state.js';
import { useCommand, useDashboard } from '../../store/use-dashboard.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import './DiskPanel.css';

function where(m: DiskModel): string {
  return m.origin === 'local' ? (m.folder ?? '') : `${m.repo ?? ''}`;
}

function revisionLabel(m: DiskModel, repos: DiskRepo[]): string {
  if (!m.commit) return 'local folder';
  const refs = repos.find((r) => r.repo === m.repo)?.revisions.find((v) => v.commit === m.commit)?.refs ?? [];
  return `${m.commit.slice(0, 8)}${refs.length > 0 ? ` (${refs.join(', ')})` : ''}`;
}

export function DiskPanel(): React.JSX.Element {
  const disk = useDashboard((s) => s.model.disk);
  const slots = useDashboard((s) => s.model.slots);
  const pending = useDashboard((s) => s.ui.pending[DISK_KEY]);
  const error = useDashboard((s) => s.ui.errors[DISK_KEY]);
  const send = useCommand();
  const now = useNow(30_000);
  const [confirming, setConfirming] = useState<string | null>(null);
  const report = disk.report;
  const busy = pending !== undefined;

  const assign = (model: DiskModel, slot: SlotId): void => send(DISK_KEY, 'assignModel', { slot, model: model.id });

  return (
    <section className="card disk" aria-labelledby="disk-title">
      <div className="card-title-row">
        <h2 id="disk-title" className="card-title">
          On disk{' '}
          {report && (
            <span className="muted num">
              · {count(report.models.length, 'model')} · {count(report.repos.length, 'repository', 'repositories')} · {fileSize(report.totalBytes)}
            </span>
          )}
        </h2>
        <button type="button" className="button" disabled={disk.scanning || busy} onClick={() => send(DISK_KEY, 'scanDisk', {})}>
          {disk.scanning ? 'Scanning…' : 'Scan disk'}
        </button>
      </div>
      {error && <ErrorNotice error={error.error} />}
      {disk.error && <p className="disk-warning" role="alert">The last scan failed: {disk.error}</p>}
      {!report ? (
        <p className="muted">{disk.scanning ? 'Looking for models in the Hugging Face cache…' : 'Not scanned yet.'}</p>
      ) : (
        <>
          <p className="muted disk-where" title={report.cacheDir}>
            {report.cacheDir} · scanned {relativeTime(report.at, now)}
          </p>
          {report.models.length === 0 ? (
            <p className="muted">No ONNX model with a tokenizer.json was found.</p>
          ) : (
            <div className="table-scroll">
              <table className="readiness-table disk-table">
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">Revision</th>
                    <th scope="col" className="right">Size</th>
                    <th scope="col">Used by</th>
                    <th scope="col">Assign</th>
                  </tr>
                </thead>
                <tbody>
                  {report.models.map((m) => (
                    <tr key={m.id} data-model={m.id}>
                      <td>
                        <div className="disk-repo">{where(m)}</div>
                        <div className="muted disk-file">{m.model}</div>
                        {m.problems.length > 0 && <div className="disk-problem">{m.problems.join('; ')}</div>}
                      </td>
                      <td className="num">{revisionLabel(m, report.repos)}</td>
                      <td className="num right">{fileSize(m.bytes)}</td>
                      <td>{m.usedBy.length > 0 ? m.usedBy.join(', ') : <span className="muted">—</span>}</td>
                      <td>
                        <select
                          className="disk-assign"
                          aria-label={`Assign ${where(m)} ${m.model} to a slot`}
                          value=""
                          disabled={busy || !m.complete}
                          title={m.complete ? 'Put this model in a slot (verified, no download)' : 'Incomplete: cannot be assigned'}
                          onChange={(e) => assign(m, e.target.value as SlotId)}
                        >
                          <option value="">{m.complete ? 'Assign to…' : 'incomplete'}</option>
                          {SLOT_IDS.map((id) => (
                            <option key={id} value={id} disabled={isInUse(slots[id]?.state ?? '') || m.usedBy.includes(id)}>
                              {id} {SLOT_NAMES[id]}
                            </option>
                          ))}
                        </select>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <details className="disk-repos">
            <summary>
              Repositories and revisions ({report.repos.length}, {fileSize(report.totalBytes)})
              {report.warnings.length > 0 && <span className="disk-warning"> · {count(report.warnings.length, 'warning')}</span>}
            </summary>
            <table className="readiness-table disk-table">
              <thead>
                <tr>
                  <th scope="col">Repository</th>
                  <th scope="col">Revision</th>
                  <th scope="col" className="right">On disk</th>
                  <th scope="col">Modified</th>
                  <th scope="col" />
                </tr>
              </thead>
              <tbody>
                {report.repos.map((r) =>
                  (r.revisions.length > 0 ? r.revisions : [null]).map((v, i) => {
                    const key = `${r.repo}@${v?.commit ?? ''}`;
                    return (
                      <tr key={key}>
                        {i === 0 && (
                          <td rowSpan={Math.max(1, r.revisions.length)}>
                            <div className="disk-repo">{r.repo}</div>
                            <div className="muted num">
                              {fileSize(r.sizeOnDisk)}
                              {r.partialFiles > 0 ? ` · ${r.partialFiles} partial` : ''}
                            </div>
                            {r.warnings.map((w) => (
                              <div key={w} className="disk-problem">{w}</div>
                            ))}
                          </td>
                        )}
                        <td className="num">{v ? `${v.commit.slice(0, 8)}${v.refs.length > 0 ? ` (${v.refs.join(', ')})` : ''}${v.complete ? '' : ' · incomplete'}` : '—'}</td>
                        <td className="num right">{v ? fileSize(v.sizeOnDisk) : '—'}</td>
                        <td className="num">{v ? relativeTime(v.lastModified, now) : '—'}</td>
                        <td className="right">
                          {v && (confirming === key ? (
                            <button type="button" className="button small danger" disabled={busy} onClick={() => {
                              setConfirming(null);
                              send(DISK_KEY, 'deleteRevision', { repo: r.repo, commit: v.commit });
                            }}>
                              Delete {fileSize(v.sizeOnDisk)}?
                            </button>
                          ) : (
                            <button type="button" className="button small" disabled={busy} onClick={() => setConfirming(key)}>
                              Delete
                            </button>
                          ))}
                        </td>
                      </tr>
                    );
                  }),
                )}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}
