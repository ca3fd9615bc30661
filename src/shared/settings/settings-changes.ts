/**
 * Settings whose change redirects what Modelbay trusts: the Hub endpoint receives the
 * user's Hugging Face token with every request, and the cache folder decides which model
 * files are loaded and where downloads are written. The dashboard asks before changing
 * them and the app records every change in the activity log — whoever sent it.
 */
import type { Settings } from './settings.js';

export const SENSITIVE_SETTINGS = ['hfEndpoint', 'cacheDir'] as const;
export type SensitiveSetting = (typeof SENSITIVE_SETTINGS)[number];

export interface SensitiveChange {
  field: SensitiveSetting;
  /** null: the default (HF_ENDPOINT / the standard Hugging Face cache). */
  from: string | null;
  to: string | null;
}

/** What `patch` would change among the sensitive settings of `current` (fields it does not name stay). */
export function sensitiveChanges(current: Pick<Settings, SensitiveSetting>, patch: Partial<Pick<Settings, SensitiveSetting>>): SensitiveChange[] {
  const changes: SensitiveChange[] = [];
  for (const field of SENSITIVE_SETTINGS) {
    if (!(field in patch) || patch[field] === undefined) continue;
    const to = patch[field] ?? null;
    const from = current[field] ?? null;
    if (to !== from) changes.push({ field, from, to });
  }
  return changes;
}

/** One sentence for the activity log; `inUse` is what the new value resolves to (a default through HF_ENDPOINT, HF_HUB_CACHE…). */
export function describeSensitiveChange(change: SensitiveChange, inUse?: string): string {
  const now = change.to === null && inUse ? ` (${inUse})` : '';
  if (change.field === 'hfEndpoint') {
    return `The Hugging Face endpoint changed from ${change.from ?? 'the default'} to ${change.to ?? 'the default'}${now}: downloads, and the Hugging Face token, now go there.`;
  }
  return `The cache folder changed from ${change.from ?? 'the standard Hugging Face cache'} to ${change.to ?? 'the standard Hugging Face cache'}${now}: model files are now read from and downloaded there.`;
}
