/**
 * A determinate bar when the total is known, an indeterminate stripe otherwise; a
 * `stopped` transfer (failed, cancelled) of unknown size shows an empty bar, not motion.
 */
export function ProgressBar({
  value,
  total,
  label,
  tone = 'accent',
  stopped = false,
}: {
  value: number;
  total: number | null;
  label: string;
  tone?: string;
  stopped?: boolean;
}): React.JSX.Element {
  const known = total !== null && total > 0;
  if (!known && stopped) {
    return (
      <div className={`progress tone-${tone}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100}>
        <div className="progress-fill" style={{ width: '0%' }} />
      </div>
    );
  }
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
