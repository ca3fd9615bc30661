import { LogsSection } from './LogsSection.js';
import { useMemo, useState } from 'react';
import type { SettingsPatch, SettingsView } from '../../../../shared/settings/settings.js';
import { sensitiveChanges, type SensitiveChange } from '../../../../shared/settings/settings-changes.js';
import { tokenStorageText } from '../../display/token-storage-text.js';
import { selectSettings } from '../../store/selectors.js';
import { fieldErrorsFromDetails, formFromSettings, patchFromForm, type FormErrors, type SettingsField, type SettingsForm } from '../../store/settings-form.js';
import { SETTINGS_KEY } from '../../store/ui-state.js';
import { useCommand, useDashboard, useUiUpdate } from '../../store/use-dashboard.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { describedBy, Field } from '../common/Field.js';
import { DialogActions, DialogHead, ModalDialog } from '../common/ModalDialog.js';
import { SettingsConfirm } from './SettingsConfirm.js';

function TokenSection({ view }: { view: SettingsView }): React.JSX.Element {
  const [token, setToken] = useState('');
  const send = useCommand();
  const source = view.token.source === 'app' ? 'set in Modelbay' : view.token.source === 'env' ? 'from HF_TOKEN' : view.token.source === 'file' ? 'from the Hugging Face token file' : '';
  return (
    <fieldset className="fieldset">
      <legend>Hugging Face token</legend>
      <p className="token-status" role="status">
        {view.token.set ? (
          <>
            <span className="tag tag-ok">token set</span> {source}
            {tokenStorageText(view.token)}
          </>
        ) : (
          <span className="tag">no token</span>
        )}
      </p>
      <div className="token-row">
        <label htmlFor="settings-token" className="visually-hidden">
          New token
        </label>
        <input
          id="settings-token"
          type="password"
          autoComplete="off"
          placeholder="hf_…"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <button
          type="button"
          className="button"
          disabled={token.trim() === ''}
          onClick={() => {
            send(SETTINGS_KEY, 'setToken', { token: token.trim() });
            setToken('');
          }}
        >
          Set token
        </button>
        <button type="button" className="button" disabled={view.token.source !== 'app'} onClick={() => send(SETTINGS_KEY, 'setToken', { token: null })}>
          Clear
        </button>
      </div>
    </fieldset>
  );
}

function SettingsBody({ view, onClose }: { view: SettingsView; onClose: () => void }): React.JSX.Element {
  const [form, setFormState] = useState<SettingsForm>(() => formFromSettings(view.settings));
  // A save that changes the endpoint or the cache folder waits here for the user's yes.
  const [confirming, setConfirming] = useState<{ patch: SettingsPatch; changes: SensitiveChange[] } | null>(null);
  const setForm = (next: SettingsForm): void => {
    setFormState(next);
    setConfirming(null);
  };
  const [errors, setErrors] = useState<FormErrors>({});
  const pending = useDashboard((s) => s.ui.pending[SETTINGS_KEY]);
  const commandError = useDashboard((s) => s.ui.errors[SETTINGS_KEY]);
  const send = useCommand();
  // The backend validates too; its issues land on the same fields as the form's own.
  const serverErrors = useMemo(
    () => (commandError?.command === 'updateSettings' ? fieldErrorsFromDetails(commandError.error.details) : {}),
    [commandError],
  );
  const shownErrors: FormErrors = Object.keys(errors).length > 0 ? errors : serverErrors;
  const errorCode = Object.keys(errors).length > 0 ? 'EMB-E406' : (commandError?.error.code ?? 'EMB-E406');

  const text = (field: SettingsField, label: string, hint?: string, attrs: React.InputHTMLAttributes<HTMLInputElement> = {}): React.JSX.Element => {
    const id = `settings-${field}`;
    const error = shownErrors[field];
    return (
      <Field id={id} label={label} hint={hint} error={error} code={errorCode}>
        <input
          id={id}
          {...attrs}
          value={form[field] as string}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, error, hint)}
          onChange={(e) => setForm({ ...form, [field]: e.target.value })}
        />
      </Field>
    );
  };

  const save = (e: React.FormEvent): void => {
    e.preventDefault();
    const result = patchFromForm(form);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    const changes = sensitiveChanges(view.settings, result.patch);
    if (changes.length > 0) {
      setConfirming({ patch: result.patch, changes });
      return;
    }
    send(SETTINGS_KEY, 'updateSettings', result.patch);
  };
  const confirm = (): void => {
    if (!confirming) return;
    send(SETTINGS_KEY, 'updateSettings', confirming.patch);
    setConfirming(null);
  };

  return (
    <form onSubmit={save} className="settings-form" noValidate>
      <DialogHead id="settings-title" closeLabel="Close settings" onClose={onClose}>
        Settings
      </DialogHead>
      <div className="settings-grid">
        <fieldset className="fieldset">
          <legend>Memory</legend>
          {text('gpuBudgetGiB', 'GPU budget (GiB)', 'Empty: 8 GiB, capped at the GPU’s usable memory', { inputMode: 'decimal', placeholder: 'default' })}
          {text('cpuBudgetGiB', 'CPU budget (GiB)', 'Empty: the smaller of 8 GiB and half the RAM', { inputMode: 'decimal', placeholder: 'default' })}
          <div className="field-row">
            {text('lowPct', 'Low below (%)', undefined, { inputMode: 'decimal' })}
            {text('mediumPct', 'Medium below (%)', undefined, { inputMode: 'decimal' })}
            {text('highPct', 'Critical from (%)', undefined, { inputMode: 'decimal' })}
          </div>
          {text('idleTtlMinutes', 'Unload idle models after (minutes)', 'Empty: never', { inputMode: 'decimal', placeholder: 'never' })}
          <label className="toggle">
            <input type="checkbox" checked={form.strictGpu} onChange={(e) => setForm({ ...form, strictGpu: e.target.checked })} />
            Strict GPU: never fall back to the CPU
          </label>
          <label className="toggle">
            <input type="checkbox" checked={form.requireGpu} onChange={(e) => setForm({ ...form, requireGpu: e.target.checked })} />
            Require a GPU: refuse to start without CUDA (next start)
          </label>
        </fieldset>
        <fieldset className="fieldset">
          <legend>Downloads and cache</legend>
          {text('cacheDir', 'Cache folder', `In use: ${view.cacheDir}`, { placeholder: 'standard Hugging Face cache', spellCheck: false })}
          {text('cacheLimitGB', 'Cache limit (GB)', 'Empty: no limit', { inputMode: 'decimal', placeholder: 'no limit' })}
          {text('hfEndpoint', 'Hugging Face endpoint', `In use: ${view.endpoint}${view.offline ? ' (offline mode)' : ''}`, {
            placeholder: 'https://huggingface.co',
            spellCheck: false,
          })}
          <div className="field-row">
            {text('downloadConcurrency', 'Parallel downloads', '1–8', { inputMode: 'numeric' })}
            {text('loadConcurrency', 'Parallel loads', '1–13', { inputMode: 'numeric' })}
          </div>
          <div className="field-row">
            {text('downloadLowSpeedKiBps', 'Low-speed limit (KiB/s)', '0: off', { inputMode: 'decimal' })}
            {text('downloadLowSpeedSeconds', 'over (seconds)', 'then retry', { inputMode: 'numeric' })}
            {text('downloadPartsPerFile', 'Parts per large file', '1: one stream', { inputMode: 'numeric' })}
          </div>
          <label className="toggle">
            <input type="checkbox" checked={form.autoDownload} onChange={(e) => setForm({ ...form, autoDownload: e.target.checked })} />
            Download missing files when a slot is loaded
          </label>
          <Field id="settings-modelFolders" label="Model folders" hint="One absolute folder per line (an .onnx, tokenizer.json and config.json); listed under On disk" error={shownErrors.modelFolders} code={errorCode}>
            <textarea
              id="settings-modelFolders"
              rows={2}
              spellCheck={false}
              value={form.modelFolders}
              aria-invalid={shownErrors.modelFolders ? true : undefined}
              aria-describedby={describedBy('settings-modelFolders', shownErrors.modelFolders, 'hint')}
              onChange={(e) => setForm({ ...form, modelFolders: e.target.value })}
            />
          </Field>
        </fieldset>
        <LogsSection debug={form.debugLog} onDebug={(on) => setForm({ ...form, debugLog: on })} />
        <TokenSection view={view} />
      </div>
      {commandError && <ErrorNotice error={commandError.error} />}
      {confirming ? (
        <SettingsConfirm changes={confirming.changes} inUse={{ hfEndpoint: view.endpoint, cacheDir: view.cacheDir }} pending={pending} onConfirm={confirm} onBack={() => setConfirming(null)} />
      ) : (
        <DialogActions pending={pending} closeText="Close" onClose={onClose} />
      )}
    </form>
  );
}

export function SettingsDialog(): React.JSX.Element {
  const open = useDashboard((s) => s.ui.settingsOpen);
  const view = useDashboard(selectSettings);
  const ui = useUiUpdate();
  const close = (): void => ui((u) => ({ ...u, settingsOpen: false }));
  return (
    <ModalDialog open={open} onClose={close} labelledBy="settings-title" className="settings-dialog">
      {view ? <SettingsBody view={view} onClose={close} /> : <p className="muted">Settings are not loaded yet.</p>}
    </ModalDialog>
  );
}
