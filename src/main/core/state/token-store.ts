/**
 * Where the app keeps the Hugging Face token the user typed in: a file readable by the
 * user alone (0600). Electron passes safeStorage as the cipher so the file holds only
 * ciphertext; without one the file holds the token in plain text, like huggingface_hub's
 * own token file.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomicSync } from '../fs/atomic-file.js';

export interface TokenStore {
  get(): string | null;
  set(token: string | null): void;
  /** Whether the token is encrypted at rest. */
  readonly encrypted: boolean;
  /** The secret store behind the cipher (safeStorage's backend, e.g. gnome_libsecret or basic_text); null without one. */
  readonly backend: string | null;
}

export interface TokenStoreOptions {
  backend?: string | null;
  /** Opens a token sealed earlier when the cipher is no longer used for sealing (a keyring-less backend): it is not lost. */
  legacyDecrypt?: ((data: Buffer) => string) | null;
}

export interface TokenCipher {
  encrypt(plain: string): Uint8Array;
  decrypt(data: Buffer): string;
}

const PLAIN_PREFIX = 'plain:';
const SEALED_PREFIX = 'sealed:';

export function createFileTokenStore(path: string, cipher: TokenCipher | null = null, options: TokenStoreOptions = {}): TokenStore {
  const open = cipher ? (data: Buffer) => cipher.decrypt(data) : (options.legacyDecrypt ?? null);
  return {
    encrypted: cipher !== null,
    backend: options.backend ?? null,
    get(): string | null {
      let text: string;
      try {
        text = readFileSync(path, 'utf8').trim();
      } catch {
        return null;
      }
      try {
        if (text.startsWith(SEALED_PREFIX)) {
          if (!open) return null;
          const token = open(Buffer.from(text.slice(SEALED_PREFIX.length), 'base64')).trim();
          return token === '' ? null : token;
        }
        if (text.startsWith(PLAIN_PREFIX)) {
          const token = text.slice(PLAIN_PREFIX.length).trim();
          return token === '' ? null : token;
        }
      } catch {
        // A token sealed on another machine or user account cannot be opened: treat it as unset.
      }
      return null;
    },
    set(token: string | null): void {
      if (token === null) {
        rmSync(path, { force: true });
        return;
      }
      mkdirSync(dirname(path), { recursive: true });
      const body = cipher
        ? `${SEALED_PREFIX}${Buffer.from(cipher.encrypt(token)).toString('base64')}`
        : `${PLAIN_PREFIX}${token}`;
      writeFileAtomicSync(path, `${body}\n`, 0o600);
      // The mode of `open` is masked by the umask: make sure nobody else can read it.
      chmodSync(path, 0o600);
    },
  };
}
