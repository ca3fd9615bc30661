/**
 * Where the app keeps the Hugging Face token the user typed in: a file readable by the
 * user alone (0600). Electron passes safeStorage as the cipher so the file holds only
 * ciphertext; without one the file holds the token in plain text, like huggingface_hub's
 * own token file.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomicSync } from './atomic-file.js';

export interface TokenStore {
  get(): string | null;
  set(token: string | null): void;
  /** Whether the token is encrypted at rest. */
  readonly encrypted: boolean;
}

export interface TokenCipher {
  encrypt(plain: string): Uint8Array;
  decrypt(data: Buffer): string;
}

const PLAIN_PREFIX = 'plain:';
const SEALED_PREFIX = 'sealed:';

export function createFileTokenStore(path: string, cipher: TokenCipher | null = null): TokenStore {
  return {
    encrypted: cipher !== null,
    get(): string | null {
      let text: string;
      try {
        text = readFileSync(path, 'utf8').trim();
      } catch {
        return null;
      }
      try {
        if (text.startsWith(SEALED_PREFIX)) {
          if (!cipher) return null;
          const token = cipher.decrypt(Buffer.from(text.slice(SEALED_PREFIX.length), 'base64')).trim();
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
