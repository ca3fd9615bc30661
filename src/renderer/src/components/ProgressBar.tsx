/** A determinate bar when the total is known, an indeterminate stripe otherwise. */
export function ProgressBar({ value, total, label, tone = 'accent' }: { value: number; total: number | null; label: string; tone?: string }): React.JSX.Element {
  const known = total !== null && total > 0;
  const pct = known ? Math.min(100, Math.max(0, (value / total) * 100)) : 0;
  return (
    <div
      className={`progress tone-${tone}${known ? '' : ' indeterminate'}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={known ? Math.round(pct) : undefined}
    >
      <div className="progress-fill" style={{ width: known ? `${pct}%` : '30%' }} />
    </div>
  );
}
