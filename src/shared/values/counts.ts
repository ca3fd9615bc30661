/**
 * A number and its noun, as one rule for every place that counts ("1 use", "2 uses",
 * "1 repository"): a count is never "1 uses" or "2 model(s)". English only; a noun whose
 * plural is not its singular plus "s" names its plural.
 */

/** The noun alone, for callers that style the number apart ("<span>3</span> uses"). */
export function noun(n: number, singular: string, plural = `${singular}s`): string {
  return n === 1 ? singular : plural;
}

/** "1 use", "2 uses", "1,204 files", "0 models". */
export function count(n: number, singular: string, plural?: string): string {
  return `${Number.isFinite(n) ? n.toLocaleString('en-US') : String(n)} ${noun(n, singular, plural)}`;
}
