/**
 * The settings form as text fields, and its conversion to an `updateSettings` patch
 * validated by the shared schema, so the form reports the same errors the backend would.
 */
import { GiB, MB } from '../../../shared/values/bytes.js';
import { SettingsPatchSchema, type Settings, type SettingsPatch } from '../../../shared/settings/settings.js';
import { errorsByField, issuesFromDetails } from './form-issues.js';

export interface SettingsForm {
  gpuBudgetGiB: string;
  cpuBudgetGiB: string;
  lowPct: string;
  mediumPct: string;
  highPct: string;
  cacheDir: string;
  cacheLimitGB: string;
  hfEndpoint: string;
  downloadConcurrency: string;
  downloadLowSpeedKiBps: string;
  downloadLowSpeedSeconds: string;
  downloadPartsPerFile: string;
  loadConcurrency: string;
  idleTtlMinutes: string;
  strictGpu: boolean;
  autoDownload: boolean;
  debugLog: boolean;
  requireGpu: boolean;
  /** One absolute folder per line. */
  modelFolders: string;
}

export type SettingsField = keyof SettingsForm;

function trimNumber(n: number): string {
  return String(Number(n.toFixed(3)));
}

export function formFromSettings(s: Settings): SettingsForm {
  return {
    gpuBudgetGiB: s.gpuBudgetBytes === null ? '' : trimNumber(s.gpuBudgetBytes / GiB),
    cpuBudgetGiB: s.cpuBudgetBytes === null ? '' : trimNumber(s.cpuBudgetBytes / GiB),
    lowPct: trimNumber(s.thresholds.low * 100),
    mediumPct: trimNumber(s.thresholds.medium * 100),
    highPct: trimNumber(s.thresholds.high * 100),
    cacheDir: s.cacheDir ?? '',
    cacheLimitGB: s.cacheLimitBytes === null ? '' : trimNumber(s.cacheLimitBytes / (1000 * MB)),
    hfEndpoint: s.hfEndpoint ?? '',
    downloadConcurrency: String(s.downloadConcurrency),
    downloadLowSpeedKiBps: trimNumber(s.downloadLowSpeedBps / 1024),
    downloadLowSpeedSeconds: String(s.downloadLowSpeedSeconds),
    downloadPartsPerFile: String(s.downloadPartsPerFile),
    loadConcurrency: String(s.loadConcurrency),
    idleTtlMinutes: s.idleTtlMs === null ? '' : trimNumber(s.idleTtlMs / 60_000),
    strictGpu: s.strictGpu,
    autoDownload: s.autoDownload,
    debugLog: s.debugLog,
    requireGpu: s.requireGpu,
    modelFolders: s.modelFolders.join('\n'),
  };
}

export type FormErrors = Partial<Record<SettingsField, string>>;

/** Which form field a schema path belongs to. */
const FIELD_OF_PATH: Record<string, SettingsField> = {
  gpuBudgetBytes: 'gpuBudgetGiB',
  cpuBudgetBytes: 'cpuBudgetGiB',
  'thresholds.low': 'lowPct',
  'thresholds.medium': 'mediumPct',
  'thresholds.high': 'highPct',
  thresholds: 'highPct',
  cacheDir: 'cacheDir',
  cacheLimitBytes: 'cacheLimitGB',
  hfEndpoint: 'hfEndpoint',
  downloadConcurrency: 'downloadConcurrency',
  downloadLowSpeedBps: 'downloadLowSpeedKiBps',
  downloadLowSpeedSeconds: 'downloadLowSpeedSeconds',
  downloadPartsPerFile: 'downloadPartsPerFile',
  loadConcurrency: 'loadConcurrency',
  idleTtlMs: 'idleTtlMinutes',
  modelFolders: 'modelFolders',
};

export function fieldOfPath(path: readonly PropertyKey[]): SettingsField | null {
  const joined = path.map(String).join('.');
  return FIELD_OF_PATH[joined] ?? FIELD_OF_PATH[String(path[0])] ?? null;
}

export function patchFromForm(form: SettingsForm): { ok: true; patch: SettingsPatch } | { ok: false; errors: FormErrors } {
  const errors: FormErrors = {};
  const num = (field: SettingsField, text: string, scale: number, optional: boolean): number | null | undefined => {
    const t = text.trim();
    if (t === '') {
      if (optional) return null;
      errors[field] = 'required';
      return undefined;
    }
    const n = Number(t);
    if (!Number.isFinite(n)) {
      errors[field] = 'not a number';
      return undefined;
    }
    return Math.round(n * scale * 1e6) / 1e6;
  };
  const gpu = num('gpuBudgetGiB', form.gpuBudgetGiB, GiB, true);
  const cpu = num('cpuBudgetGiB', form.cpuBudgetGiB, GiB, true);
  const low = num('lowPct', form.lowPct, 0.01, false);
  const medium = num('mediumPct', form.mediumPct, 0.01, false);
  const high = num('highPct', form.highPct, 0.01, false);
  const limit = num('cacheLimitGB', form.cacheLimitGB, 1000 * MB, true);
  const dl = num('downloadConcurrency', form.downloadConcurrency, 1, false);
  const ld = num('loadConcurrency', form.loadConcurrency, 1, false);
  const slowBps = num('downloadLowSpeedKiBps', form.downloadLowSpeedKiBps, 1024, false);
  const slowS = num('downloadLowSpeedSeconds', form.downloadLowSpeedSeconds, 1, false);
  const parts = num('downloadPartsPerFile', form.downloadPartsPerFile, 1, false);
  const ttl = num('idleTtlMinutes', form.idleTtlMinutes, 60_000, true);
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const round = (n: number | null | undefined): number | null => (n === null || n === undefined ? null : Math.round(n));
  const candidate = {
    gpuBudgetBytes: round(gpu),
    cpuBudgetBytes: round(cpu),
    thresholds: { low: low as number, medium: medium as number, high: high as number },
    cacheDir: form.cacheDir.trim() === '' ? null : form.cacheDir.trim(),
    cacheLimitBytes: round(limit),
    hfEndpoint: form.hfEndpoint.trim() === '' ? null : form.hfEndpoint.trim(),
    downloadConcurrency: dl as number,
    loadConcurrency: ld as number,
    downloadLowSpeedBps: round(slowBps) as number,
    downloadLowSpeedSeconds: slowS as number,
    downloadPartsPerFile: parts as number,
    idleTtlMs: round(ttl),
    strictGpu: form.strictGpu,
    autoDownload: form.autoDownload,
    debugLog: form.debugLog,
    requireGpu: form.requireGpu,
    modelFolders: form.modelFolders.split('\n').map((l) => l.trim()).filter((l) => l.length > 0),
  };
  const parsed = SettingsPatchSchema.safeParse(candidate);
  if (parsed.success) return { ok: true, patch: parsed.data };
  Object.assign(errors, errorsByField(parsed.error.issues, fieldOfPath));
  if (Object.keys(errors).length === 0) errors.highPct = parsed.error.issues[0]?.message ?? 'invalid';
  return { ok: false, errors };
}

/** Field errors from a rejected updateSettings whose details carry `issues: [{ path: 'a.b', message }]`. */
export function fieldErrorsFromDetails(details: Record<string, unknown>): FormErrors {
  return errorsByField(issuesFromDetails(details), fieldOfPath);
}
