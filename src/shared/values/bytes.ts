/** Byte quantities as users read them: MB for model files, GiB for budgets (what nvidia-smi calls MiB). */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const MB = 1_000_000;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'unknown';
  const sign = bytes < 0 ? '-' : '';
  const b = Math.abs(bytes);
  if (b >= GiB) return `${sign}${(b / GiB).toFixed(2)} GiB`;
  if (b >= MiB) return `${sign}${(b / MiB).toFixed(1)} MiB`;
  if (b >= KiB) return `${sign}${(b / KiB).toFixed(1)} KiB`;
  return `${sign}${b} B`;
}

export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'unknown';
  return `${Math.round(ratio * 100)} %`;
}
