import { UNKNOWN, UNKNOWN_GPU_TIP } from '../../display/figures.js';

/** A figure nvidia-smi did not report: a dash with the reason on hover, never 0. */
export function Figure({ value, unit = '', tip = UNKNOWN_GPU_TIP }: { value: number | string | null; unit?: string; tip?: string }): React.JSX.Element {
  if (value === null || value === UNKNOWN) {
    return (
      <span className="unknown" title={tip} aria-label={`unknown: ${tip}`}>
        {UNKNOWN}
      </span>
    );
  }
  return (
    <span className="num">
      {value}
      {unit}
    </span>
  );
}
