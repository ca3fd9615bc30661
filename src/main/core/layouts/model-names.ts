/**
 * Names of exported models. A Triton model name is its folder name and KServe's names are
 * DNS-1123 labels, so one form serves both: lower-case letters, digits and `-`, starting
 * with a letter, at most 40 characters (room for the `-tokenize` / `-onnx` / `-pool`
 * suffixes of an ensemble's steps within the 63 a label allows).
 */
import type { SlotId } from '../../../shared/slots/slots.js';

export const MAX_BASE_NAME = 40;

/** Any text as a DNS-1123 label (never empty: `fallback` when nothing is left). */
export function dnsLabel(text: string, max = 63, fallback = 'modelbay'): string {
  let s = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+/, '');
  s = s.slice(0, max).replace(/-+$/, '');
  if (s === '') return fallback;
  return /^[a-z]/.test(s) ? s : `m-${s}`.slice(0, max).replace(/-+$/, '');
}

/** `E1` + alias `minilm` → `e1-minilm`; `E3` without alias → `e3`. */
export function exportBaseName(slot: SlotId, alias: string | null): string {
  return dnsLabel(alias ? `${slot}-${alias}` : slot, MAX_BASE_NAME);
}
