/** How the settings view describes where a token set in Modelbay is kept: never "encrypted" unless it is. */
import type { SettingsView } from '../../../shared/settings/settings.js';

export function tokenStorageText(token: SettingsView['token']): string {
  if (!token.set || token.source !== 'app') return '';
  if (token.encrypted) return ` · stored encrypted${token.backend ? ` (${token.backend})` : ''}`;
  const why = token.backend === 'basic_text' ? ': no system keyring was found (safeStorage backend basic_text)' : token.backend ? `: the system keyring is not available (${token.backend})` : '';
  return ` · not encrypted, kept in a file only you can read (0600)${why}`;
}
