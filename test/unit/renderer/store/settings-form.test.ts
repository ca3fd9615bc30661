import { describe, expect, it } from 'vitest';
import { GiB } from '../../../../src/shared/values/bytes.js';
import { defaultSettings } from '../../../../src/shared/settings/settings.js';
import { fieldErrorsFromDetails, formFromSettings, patchFromForm } from '../../../../src/renderer/src/store/settings-form.js';

describe('settings form', () => {
  it('round-trips the defaults into an equal patch', () => {
    const defaults = defaultSettings();
    const result = patchFromForm(formFromSettings(defaults));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.patch.thresholds).toEqual(defaults.thresholds);
      expect(result.patch.gpuBudgetBytes).toBeNull();
      expect(result.patch.downloadConcurrency).toBe(3);
    }
  });

  it('converts units: GiB budgets, percent thresholds, minutes of idle TTL', () => {
    const form = { ...formFromSettings(defaultSettings()), gpuBudgetGiB: '6.5', lowPct: '40', idleTtlMinutes: '15', hfEndpoint: 'http://127.0.0.1:9000' };
    const result = patchFromForm(form);
    expect(result.ok && result.patch).toMatchObject({ gpuBudgetBytes: 6.5 * GiB, thresholds: { low: 0.4 }, idleTtlMs: 900_000, hfEndpoint: 'http://127.0.0.1:9000' });
  });

  it('reports schema errors on the right field', () => {
    const base = formFromSettings(defaultSettings());
    const falling = patchFromForm({ ...base, lowPct: '90' });
    expect(falling.ok).toBe(false);
    if (!falling.ok) expect(falling.errors.highPct).toMatch(/rise/);
    const bad = patchFromForm({ ...base, downloadConcurrency: '40', hfEndpoint: 'ftp://x', gpuBudgetGiB: 'lots' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.gpuBudgetGiB).toBe('not a number');
    const schema = patchFromForm({ ...base, downloadConcurrency: '40', hfEndpoint: 'ftp://x' });
    expect(schema.ok).toBe(false);
    if (!schema.ok) {
      expect(schema.errors.downloadConcurrency).toBeTruthy();
      expect(schema.errors.hfEndpoint).toBeTruthy();
    }
  });
});

describe('backend settings errors', () => {
  it('maps issue paths to form fields and ignores malformed details', () => {
    expect(fieldErrorsFromDetails({ issues: [{ path: 'thresholds.low', message: 'too big' }, { path: 'downloadConcurrency', message: 'max 8' }, { path: 'slots.E1', message: 'x' }] })).toEqual({
      lowPct: 'too big',
      downloadConcurrency: 'max 8',
    });
    expect(fieldErrorsFromDetails({ issues: 'nope' })).toEqual({});
    expect(fieldErrorsFromDetails({ issues: [null, { path: 3 }] })).toEqual({});
  });
});
