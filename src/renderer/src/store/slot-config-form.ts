/**
 * One slot's configuration as a form: device, idle time-out and model source. Validated
 * with the same schemas the backend applies (the setIdleTtl command, SlotSourceSchema),
 * turned into the commands that change only what the user changed, and mapped back from
 * the backend's errors onto the field they concern.
 */
import { COMMAND_SCHEMAS, type CommandInput } from '../../../shared/contract/api.js';
import type { CatalogSlotView } from '../../../shared/artifacts/artifacts.js';
import type { ErrorCode, SerializedError } from '../../../shared/errors/errors.js';
import { SlotSourceSchema, type SlotSettings, type SlotSource } from '../../../shared/settings/settings.js';
import { aliasProblem } from '../../../shared/values/values.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import { DOWNLOAD_STATES, IN_USE_STATES, type SlotSnapshot } from '../../../shared/slots/state.js';
import { slotStateClause } from '../../../shared/slots/state-words.js';
import { errorsByField, issuesFromDetails } from './form-issues.js';
import { compareDevices } from './selectors.js';

export const POOLINGS = ['mean', 'cls', 'none'] as const;

export interface SourceForm {
  repo: string;
  revision: string;
  model: string;
  /** One repository path per line. */
  externalData: string;
  /** Empty: the model takes no tokenizer. */
  tokenizer: string;
  pooling: (typeof POOLINGS)[number];
  dims: string;
}

export interface SlotConfigForm extends SourceForm {
  device: string;
  idleTtlMinutes: string;
  /** Empty: no alias (the slot is named by its id). */
  alias: string;
}

/** `source` holds errors about the model source as a whole (e.g. the slot is busy). */
export type SlotConfigField = keyof SlotConfigForm | 'source';
export type SlotConfigErrors = Partial<Record<SlotConfigField, { code: ErrorCode; message: string }>>;

const SOURCE_FIELDS: ReadonlyArray<keyof SourceForm> = ['repo', 'revision', 'model', 'externalData', 'tokenizer', 'pooling', 'dims'];

/** Code shown for the form's own checks: what the backend answers for a value it does not accept. */
export const INVALID_VALUE: ErrorCode = 'EMB-E002';

/** States in which the backend refuses to move a slot or change its model (EMB-E007). */

export interface SlotConfigLocks {
  /** Why the device cannot change now, or null. */
  device: string | null;
  /** Why the source cannot change now, or null. */
  source: string | null;
}

export function slotConfigLocks(slot: SlotSnapshot): SlotConfigLocks {
  if (IN_USE_STATES.has(slot.state)) {
    const why = `${slotStateClause(slot.id, slot.state)}: evict it first`;
    return { device: `${why}, then move it.`, source: `${why}, then change its model.` };
  }
  if (DOWNLOAD_STATES.has(slot.state)) return { device: null, source: `${slot.id} is downloading: pause or cancel it before changing its model.` };
  return { device: null, source: null };
}

function trimNumber(n: number): string {
  return String(Number(n.toFixed(3)));
}

function emptySource(): SourceForm {
  return { repo: '', revision: 'main', model: '', externalData: '', tokenizer: 'tokenizer.json', pooling: 'mean', dims: '' };
}

function sourceFormOf(source: SlotSource): SourceForm {
  return {
    repo: source.repo,
    revision: source.revision,
    model: source.model,
    externalData: source.externalData.join('\n'),
    tokenizer: source.tokenizer ?? '',
    pooling: source.pooling,
    dims: source.dims === null ? '' : String(source.dims),
  };
}

/** The source fields as the catalog view shows the slot's model; a slot with no model starts empty. */
export function sourceFormFromCatalog(view: CatalogSlotView | undefined): SourceForm {
  if (!view || view.status === 'none' || !view.repo) return emptySource();
  const paths = (role: CatalogSlotView['files'][number]['role']): string[] => view.files.filter((f) => f.role === role).map((f) => f.path);
  return {
    repo: view.repo,
    revision: view.revision ?? 'main',
    model: paths('model')[0] ?? '',
    externalData: paths('external-data').join('\n'),
    tokenizer: paths('tokenizer')[0] ?? '',
    pooling: view.pooling ?? 'mean',
    dims: view.dims === null ? '' : String(view.dims),
  };
}

/** The form as it opens: the slot's own choices, else what it uses now. */
export function slotConfigForm(slot: SlotSnapshot, catalog: CatalogSlotView | undefined, own: SlotSettings): SlotConfigForm {
  return {
    device: slot.device,
    idleTtlMinutes: own.idleTtlMs === null ? '' : trimNumber(own.idleTtlMs / 60_000),
    alias: own.alias ?? '',
    ...(own.source ? sourceFormOf(own.source) : sourceFormFromCatalog(catalog)),
  };
}

export function sourceChanged(initial: SourceForm, form: SourceForm): boolean {
  return SOURCE_FIELDS.some((f) => initial[f] !== form[f]);
}

export type PlannedCommand =
  | { command: 'setDevice'; input: CommandInput<'setDevice'> }
  | { command: 'setIdleTtl'; input: CommandInput<'setIdleTtl'> }
  | { command: 'setSlotSource'; input: CommandInput<'setSlotSource'> }
  | { command: 'setAlias'; input: CommandInput<'setAlias'> };

function fieldOfSourcePath(path: readonly PropertyKey[]): keyof SourceForm | null {
  const head = String(path[0]);
  return (SOURCE_FIELDS as readonly string[]).includes(head) ? (head as keyof SourceForm) : null;
}

function withCode(errors: Partial<Record<SlotConfigField, string>>, code: ErrorCode): SlotConfigErrors {
  const out: SlotConfigErrors = {};
  for (const [field, message] of Object.entries(errors) as Array<[SlotConfigField, string]>) out[field] = { code, message };
  return out;
}

function parseSource(form: SourceForm): { ok: true; source: SlotSource } | { ok: false; errors: SlotConfigErrors } {
  const dimsText = form.dims.trim();
  const number = dimsText === '' ? null : Number(dimsText);
  // Checked with the rest, so every bad field shows at once.
  const dimsBad = number !== null && !Number.isFinite(number);
  const dims = dimsBad ? null : number;
  const parsed = SlotSourceSchema.safeParse({
    repo: form.repo.trim(),
    revision: form.revision.trim() === '' ? undefined : form.revision.trim(),
    model: form.model.trim(),
    externalData: form.externalData.split('\n').map((l) => l.trim()).filter((l) => l !== ''),
    tokenizer: form.tokenizer.trim() === '' ? null : form.tokenizer.trim(),
    pooling: form.pooling,
    dims,
  });
  const errors = parsed.success ? {} : withCode(errorsByField(parsed.error.issues, fieldOfSourcePath), INVALID_VALUE);
  if (dimsBad) errors.dims = { code: INVALID_VALUE, message: 'not a number' };
  if (parsed.success && !dimsBad) return { ok: true, source: parsed.data };
  return { ok: false, errors };
}

/**
 * The commands that carry the user's changes, in the order the backend should see them
 * (the source before the device, so a new model's estimate is made for the new device
 * once), or the fields that are invalid.
 */
export function slotConfigPlan(slot: SlotId, initial: SlotConfigForm, form: SlotConfigForm): { ok: true; commands: PlannedCommand[] } | { ok: false; errors: SlotConfigErrors } {
  const commands: PlannedCommand[] = [];
  let errors: SlotConfigErrors = {};

  if (sourceChanged(initial, form)) {
    const parsed = parseSource(form);
    if (parsed.ok) commands.push({ command: 'setSlotSource', input: { slot, source: parsed.source } });
    else errors = { ...errors, ...parsed.errors };
  }
  if (form.idleTtlMinutes.trim() !== initial.idleTtlMinutes.trim()) {
    const text = form.idleTtlMinutes.trim();
    const minutes = text === '' ? null : Number(text);
    if (minutes !== null && !Number.isFinite(minutes)) {
      errors.idleTtlMinutes = { code: INVALID_VALUE, message: 'not a number' };
    } else {
      const input = { slot, ttlMs: minutes === null ? null : Math.round(minutes * 60_000) };
      const parsed = COMMAND_SCHEMAS.setIdleTtl.safeParse(input);
      if (parsed.success) commands.push({ command: 'setIdleTtl', input });
      else errors.idleTtlMinutes = { code: INVALID_VALUE, message: minutes !== null && minutes > 0 ? 'at most 30 days (43200 minutes)' : 'more than 0 minutes, or empty for the default' };
    }
  }
  if (form.device !== initial.device) commands.push({ command: 'setDevice', input: { slot, device: form.device } });
  if (form.alias.trim() !== initial.alias.trim()) {
    const alias = form.alias.trim();
    const problem = alias === '' ? null : aliasProblem(alias);
    // Uniqueness is the backend's to judge (EMB-E021): it knows every slot's alias at the moment of saving.
    if (problem) errors.alias = { code: 'EMB-E020', message: problem };
    else commands.push({ command: 'setAlias', input: { slot, alias: alias === '' ? null : alias } });
  }

  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, commands };
}

/** Hub errors that name one part of a source. */
const SOURCE_CODE_FIELD: Partial<Record<ErrorCode, keyof SourceForm>> = {
  'EMB-E103': 'repo',
  'EMB-E117': 'repo',
  'EMB-E104': 'revision',
  'EMB-E105': 'model',
};

/** Where a rejected command's error belongs in the form. */
export function slotConfigErrorsFromCommand(command: PlannedCommand['command'], error: SerializedError): SlotConfigErrors {
  const entry = { code: error.code, message: error.message };
  switch (command) {
    case 'setDevice':
      return { device: entry };
    case 'setIdleTtl':
      return { idleTtlMinutes: entry };
    case 'setAlias':
      return { alias: entry };
    case 'setSlotSource': {
      // Command validation reports paths under the input ("source.repo").
      const issues = issuesFromDetails(error.details).map((i) => ({ ...i, path: i.path[0] === 'source' ? i.path.slice(1) : i.path }));
      const byField = withCode(errorsByField(issues, fieldOfSourcePath), error.code);
      if (Object.keys(byField).length > 0) return byField;
      const field = SOURCE_CODE_FIELD[error.code];
      return field ? { [field]: entry } : { source: entry };
    }
  }
}

/** The new baseline after some commands went through, so a retry sends only what is still unsaved. */
export function acceptSaved(initial: SlotConfigForm, form: SlotConfigForm, saved: readonly PlannedCommand[]): SlotConfigForm {
  let next = initial;
  for (const c of saved) {
    if (c.command === 'setDevice') next = { ...next, device: form.device };
    if (c.command === 'setIdleTtl') next = { ...next, idleTtlMinutes: form.idleTtlMinutes };
    if (c.command === 'setAlias') next = { ...next, alias: form.alias };
    if (c.command === 'setSlotSource') for (const f of SOURCE_FIELDS) next = { ...next, [f]: form[f] };
  }
  return next;
}

/**
 * The devices a slot can be moved to: those with a budget, cuda in index order, then cpu.
 * Without onnxruntime's CUDA provider a cuda device would only fall back to the CPU, so
 * it is not offered (the slot's current device stays listed, so the form shows the truth).
 */
export function deviceChoices(devices: readonly string[], current: string, cudaUsable = true): string[] {
  const usable = cudaUsable ? devices : devices.filter((d) => !d.startsWith('cuda:'));
  return [...new Set([...usable, current])].sort(compareDevices);
}
