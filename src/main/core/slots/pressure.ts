import { ModelbayError } from '../../../shared/errors/errors.js';
import { DEFAULT_THRESHOLDS, type PressureLevel, type PressureThresholds } from '../../../shared/slots/state.js';

/** Thresholds must be fractions strictly increasing in (0, 1]; anything else is EMB-E002. */
export function validateThresholds(t: PressureThresholds = DEFAULT_THRESHOLDS): PressureThresholds {
  const values = [t.low, t.medium, t.high];
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1)) {
    throw new ModelbayError('EMB-E002', 'Pressure thresholds must be fractions between 0 and 1 (e.g. 0.5, 0.8, 0.95).', { thresholds: { ...t } });
  }
  if (!(t.low < t.medium && t.medium < t.high)) {
    throw new ModelbayError('EMB-E002', `Pressure thresholds must increase: low ${t.low} < medium ${t.medium} < high ${t.high}.`, { thresholds: { ...t } });
  }
  return { low: t.low, medium: t.medium, high: t.high };
}

export function pressureLevel(ratio: number, t: PressureThresholds): PressureLevel {
  if (ratio < t.low) return 'Low';
  if (ratio < t.medium) return 'Medium';
  if (ratio < t.high) return 'High';
  return 'Critical';
}
