/**
 * Whether Electron's safeStorage really encrypts the Hugging Face token. On Linux,
 * without a keyring (no gnome-keyring or kwallet, a headless session, a bare window
 * manager) safeStorage falls back to its `basic_text` backend: a fixed, public key.
 * The token is then no safer than in the 0600 file huggingface_hub writes, so it goes
 * there plainly and the settings view says so, instead of claiming encryption.
 */
export interface TokenEncryption {
  /** Whether to seal the token with safeStorage. */
  encrypt: boolean;
  /** The backend as safeStorage names it (Linux), or the platform's store elsewhere. */
  backend: string;
}

/** Linux backends that keep the key in a keyring. */
const KEYRING_BACKENDS = new Set(['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']);

export function tokenEncryption(input: { platform: NodeJS.Platform; available: boolean; backend: string | null }): TokenEncryption {
  if (input.platform === 'linux') {
    const backend = input.backend ?? 'unknown';
    return { encrypt: input.available && KEYRING_BACKENDS.has(backend), backend };
  }
  const backend = input.platform === 'darwin' ? 'keychain' : input.platform === 'win32' ? 'dpapi' : 'unknown';
  return { encrypt: input.available, backend: input.available ? backend : 'none' };
}
