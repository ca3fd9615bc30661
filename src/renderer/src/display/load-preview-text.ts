/** A load preview in words, for the tip beside Load. */
import type { LoadPreview } from '../../../shared/slots/load-preview.js';
import { memory, percent } from './figures.js';

export interface PreviewLines {
  /** What the load reserves, and where. */
  head: string;
  /** The evictions, or that none are needed. */
  evicts: string;
  /** The pressure after, or why the load would be refused. */
  outcome: string;
  tone: 'ok' | 'warn' | 'danger';
}

export function previewLines(p: LoadPreview): PreviewLines {
  const head = `Load ${p.slot} on ${p.device}: reserves ~${memory(p.estimateBytes)}`;
  if (p.alreadyLoaded) return { head: `${p.slot} is loaded on ${p.device}`, evicts: 'A Load only counts a use.', outcome: '', tone: 'ok' };
  if (p.error) return { head, evicts: '', outcome: `Would fail: ${p.error.code} ${p.error.message}`, tone: 'danger' };
  const evicts =
    p.evicts.length === 0
      ? 'Fits without evicting anything.'
      : `Evicts ${p.evicts.map((e) => `${e.slot} (${memory(e.bytes)})`).join(', ')} — least recently used first; pinned slots are kept.`;
  const after = p.after ? `${p.device} after: ${memory(p.after.allocatedBytes)} of ${memory(p.after.budgetBytes)} (${percent(p.after.ratio)}) · ${p.after.level}` : '';
  return { head, evicts, outcome: after, tone: p.evicts.length > 0 || p.after?.level === 'Critical' || p.after?.level === 'High' ? 'warn' : 'ok' };
}
