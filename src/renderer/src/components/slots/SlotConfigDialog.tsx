import { useMemo, useState } from 'react';
import { deviceLabel, parseDeviceId } from '../../../../shared/devices/devices.js';
import type { CatalogSlotView } from '../../../../shared/artifacts/artifacts.js';
import { slotSettings, type SettingsView } from '../../../../shared/settings/settings.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import type { SlotSnapshot } from '../../../../shared/slots/state.js';
import { selectCatalogEntry, selectCommandError, selectDevices, selectPending, selectSettings, selectSlot } from '../../store/selectors.js';
import {
  POOLINGS,
  acceptSaved,
  deviceChoices,
  slotConfigErrorsFromCommand,
  slotConfigForm,
  slotConfigLocks,
  slotConfigPlan,
  sourceFormFromCatalog,
  type PlannedCommand,
  type SlotConfigErrors,
  type SlotConfigField,
  type SlotConfigForm,
} from '../../store/slot-config-form.js';
import { SLOT_CONFIG_KEY, openSlotConfig } from '../../store/ui-state.js';
import { useCommandResult, useCommandSequence, useDashboard, useUiUpdate } from '../../store/use-dashboard.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { describedBy, Field } from '../common/Field.js';
import { DialogActions, DialogHead, ModalDialog } from '../common/ModalDialog.js';
import { SlotRevisionHistory } from './SlotRevisionHistory.js';

const EXTERNAL_HINT = 'One path per line: weights kept beside the .onnx file (.onnx_data)';
const PLANNED: ReadonlySet<string> = new Set<PlannedCommand['command']>(['setDevice', 'setIdleTtl', 'setSlotSource', 'setAlias']);

function globalTtlText(view: SettingsView): string {
  const ms = view.settings.idleTtlMs;
  return ms === null ? 'never unload' : `${Number((ms / 60_000).toFixed(2))} min`;
}

function SourceStatus({ custom, catalog }: { custom: boolean; catalog: CatalogSlotView | undefined }): React.JSX.Element {
  if (custom) return <span className="tag tag-info">your model</span>;
  if (!catalog || catalog.status === 'none') return <span className="tag tag-warn">no default model — choose one</span>;
  return <span className="tag">catalog default</span>;
}

function SlotConfigBody({ slot, catalog, view, onClose }: { slot: SlotSnapshot; catalog: CatalogSlotView | undefined; view: SettingsView; onClose: () => void }): React.JSX.Element {
  const id = slot.id;
  const own = slotSettings(view.settings, id);
  const [initial, setInitial] = useState<SlotConfigForm>(() => slotConfigForm(slot, catalog, own));
  const [form, setForm] = useState<SlotConfigForm>(initial);
  const [errors, setErrors] = useState<SlotConfigErrors>({});
  const devices = useDashboard(selectDevices);
  const pending = useDashboard(selectPending(SLOT_CONFIG_KEY));
  const commandError = useDashboard(selectCommandError(SLOT_CONFIG_KEY));
  const sendAll = useCommandSequence();
  const call = useCommandResult();
  const locks = slotConfigLocks(slot);
  const cudaUsable = useDashboard((s) => s.model.runtime?.cudaProvider ?? true);
  const choices = useMemo(() => deviceChoices(devices.map((d) => d.device), initial.device, cudaUsable), [devices, initial.device, cudaUsable]);
  // The backend's refusals land on the field they concern, as the form's own checks do.
  const serverErrors = useMemo<SlotConfigErrors>(
    () => (commandError && PLANNED.has(commandError.command) ? slotConfigErrorsFromCommand(commandError.command as PlannedCommand['command'], commandError.error) : {}),
    [commandError],
  );
  const shown = Object.keys(errors).length > 0 ? errors : serverErrors;
  const busy = pending !== undefined;

  const text = (
    field: Exclude<keyof SlotConfigForm, 'pooling' | 'device'>,
    label: string,
    hint?: string,
    attrs: React.InputHTMLAttributes<HTMLInputElement> = {},
  ): React.JSX.Element => {
    const fieldId = `config-${field}`;
    const error = shown[field];
    return (
      <Field id={fieldId} label={label} hint={hint} error={error?.message} code={error?.code ?? ''}>
        <input
          id={fieldId}
          spellCheck={false}
          autoComplete="off"
          {...attrs}
          value={form[field]}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(fieldId, error?.message, hint)}
          onChange={(e) => setForm({ ...form, [field]: e.target.value })}
        />
      </Field>
    );
  };

  const save = (e: React.FormEvent): void => {
    e.preventDefault();
    const plan = slotConfigPlan(id, initial, form);
    if (!plan.ok) {
      setErrors(plan.errors);
      return;
    }
    setErrors({});
    if (plan.commands.length === 0) {
      onClose();
      return;
    }
    void sendAll(SLOT_CONFIG_KEY, plan.commands).then((done) => {
      if (done === plan.commands.length) onClose();
      else setInitial((i) => acceptSaved(i, form, plan.commands.slice(0, done)));
    });
  };

  const restore = (): void => {
    setErrors({});
    void call(SLOT_CONFIG_KEY, 'setSlotSource', { slot: id, source: null }).then((restored) => {
      if (!restored) return;
      const source = sourceFormFromCatalog(restored);
      setForm((f) => ({ ...f, ...source }));
      setInitial((i) => ({ ...i, ...source }));
    });
  };

  const error = (field: SlotConfigField): SlotConfigErrors[SlotConfigField] => shown[field];
  const deviceHint = locks.device ?? 'Where the model runs; each device has its own memory budget.';
  const ttlHint = `Empty: the global default (${globalTtlText(view)})`;
  const sourceError = error('source');

  return (
    <form onSubmit={save} className="config-form" noValidate>
      <DialogHead id="config-title" closeLabel="Close configuration" onClose={onClose}>
        Configure {id} <span className="muted">· {slot.name}</span>
      </DialogHead>
      <fieldset className="fieldset">
        <legend>Placement</legend>
        <div className="field-row config-placement">
          <Field id="config-device" label="Device" hint={deviceHint} error={error('device')?.message} code={error('device')?.code ?? ''}>
            <select
              id="config-device"
              value={form.device}
              disabled={locks.device !== null}
              aria-invalid={error('device') ? true : undefined}
              aria-describedby={describedBy('config-device', error('device')?.message, deviceHint)}
              onChange={(e) => setForm({ ...form, device: e.target.value })}
            >
              {choices.map((d) => (
                <option key={d} value={d}>
                  {parseDeviceId(d)?.kind === 'mig' ? `${deviceLabel(d)} — ${d}` : d}
                  {!cudaUsable && d.startsWith('cuda:') ? ' (no CUDA provider: runs on cpu)' : ''}
                </option>
              ))}
            </select>
          </Field>
          {text('idleTtlMinutes', 'Unload when idle for (minutes)', ttlHint, { inputMode: 'decimal', placeholder: 'global default' })}
        </div>
        {text('alias', 'Alias', `The model name in the serving API and the CLI; empty: ${id}. Lower-case letters, digits, ".", "_", "-".`, { placeholder: 'e.g. minilm', spellCheck: false, autoComplete: 'off' })}
      </fieldset>
      <fieldset className="fieldset" disabled={locks.source !== null}>
        <legend>Model source</legend>
        <div className="source-status">
          <SourceStatus custom={own.source !== null} catalog={catalog} />
          <span className="muted">Any Hugging Face repository with an ONNX export; its files download into the shared cache.</span>
          <button type="button" className="button small" disabled={own.source === null || busy} onClick={restore}>
            Restore catalog default
          </button>
        </div>
        {locks.source && (
          <p className="config-lock" role="note">
            {locks.source}
          </p>
        )}
        {sourceError && <ErrorNotice error={{ code: sourceError.code, message: sourceError.message, details: {} }} />}
        <div className="field-row config-repo">
          {text('repo', 'Repository', 'owner/name on the Hub', { placeholder: 'owner/name' })}
          {text('revision', 'Revision', 'Branch, tag or commit; empty: main', { placeholder: 'main' })}
        </div>
        {text('model', 'Model file', 'Path of the .onnx file in the repository', { placeholder: 'onnx/model.onnx' })}
        <Field
          id="config-externalData"
          label="External data files"
          hint={EXTERNAL_HINT}
          error={error('externalData')?.message}
          code={error('externalData')?.code ?? ''}
        >
          <textarea
            id="config-externalData"
            rows={2}
            spellCheck={false}
            placeholder="onnx/model.onnx_data"
            value={form.externalData}
            aria-invalid={error('externalData') ? true : undefined}
            aria-describedby={describedBy('config-externalData', error('externalData')?.message, EXTERNAL_HINT)}
            onChange={(e) => setForm({ ...form, externalData: e.target.value })}
          />
        </Field>
        <div className="field-row config-model">
          {text('tokenizer', 'Tokenizer file', 'Empty: none', { placeholder: 'none' })}
          <Field id="config-pooling" label="Pooling" hint="How token vectors become one" code="">
            <select id="config-pooling" value={form.pooling} aria-describedby="config-pooling-hint" onChange={(e) => setForm({ ...form, pooling: e.target.value as SlotConfigForm['pooling'] })}>
              {POOLINGS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </Field>
          {text('dims', 'Dimensions', 'Empty: read from the model', { inputMode: 'numeric', placeholder: 'auto' })}
        </div>
      </fieldset>
      <SlotRevisionHistory id={id} />
      <DialogActions pending={pending} closeText="Cancel" onClose={onClose} />
    </form>
  );
}

/** Device, idle time-out and model source of the slot whose Configure button was pressed. */
export function SlotConfigDialog(): React.JSX.Element {
  const id = useDashboard((s) => s.ui.configSlot);
  const ui = useUiUpdate();
  const close = (): void => ui((u) => openSlotConfig(u, null));
  return (
    <ModalDialog open={id !== null} onClose={close} labelledBy="config-title" className="config-dialog">
      {id && <SlotConfigContent key={id} id={id} onClose={close} />}
    </ModalDialog>
  );
}

function SlotConfigContent({ id, onClose }: { id: SlotId; onClose: () => void }): React.JSX.Element {
  const slot = useDashboard(selectSlot(id));
  const catalog = useDashboard(selectCatalogEntry(id));
  const view = useDashboard(selectSettings);
  if (!slot || !view) return <p className="muted">The slot is not loaded yet.</p>;
  return <SlotConfigBody slot={slot} catalog={catalog} view={view} onClose={onClose} />;
}
