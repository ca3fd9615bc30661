/**
 * The question the settings dialog asks before it changes the Hub endpoint or the cache
 * folder: the endpoint receives the user's Hugging Face token, and the cache folder
 * decides which model files are run. A page that managed to fill in the form still
 * needs the user's click.
 */
import type { SensitiveChange } from '../../../../shared/settings/settings-changes.js';

const LABEL: Record<SensitiveChange['field'], string> = { hfEndpoint: 'Hugging Face endpoint', cacheDir: 'Cache folder' };
const DEFAULT: Record<SensitiveChange['field'], string> = { hfEndpoint: 'default', cacheDir: 'standard Hugging Face cache' };

function consequence(change: SensitiveChange): string {
  const to = change.to ?? DEFAULT[change.field];
  return change.field === 'hfEndpoint'
    ? `Downloads, and your Hugging Face token, will go to ${to}. Use only a Hub or mirror you trust.`
    : `Model files will be read from and downloaded to ${to}.`;
}

/** `inUse`: what the defaults resolve to now (HF_ENDPOINT, HF_HUB_CACHE…), shown for a setting that was unset. */
export function SettingsConfirm({ changes, inUse, pending, onConfirm, onBack }: { changes: SensitiveChange[]; inUse: Record<SensitiveChange['field'], string>; pending: string | undefined; onConfirm: () => void; onBack: () => void }): React.JSX.Element {
  return (
    <div className="settings-confirm" role="group" aria-labelledby="settings-confirm-title">
      <p id="settings-confirm-title" className="settings-confirm-title">
        Confirm {changes.length === 1 ? 'this change' : 'these changes'}
      </p>
      <ul>
        {changes.map((c) => (
          <li key={c.field}>
            <strong>{LABEL[c.field]}</strong>: <code>{c.from ?? `${inUse[c.field]} (default)`}</code> → <code>{c.to ?? DEFAULT[c.field]}</code>
            <span className="settings-confirm-why">{consequence(c)}</span>
          </li>
        ))}
      </ul>
      <div className="dialog-actions">
        <span className="muted" role="status">
          {pending ? `${pending}…` : ''}
        </span>
        <button type="button" className="button" onClick={onBack}>
          Keep editing
        </button>
        <button type="button" className="button primary" disabled={pending !== undefined} onClick={onConfirm}>
          Apply {changes.length === 1 ? 'change' : 'changes'}
        </button>
      </div>
    </div>
  );
}
