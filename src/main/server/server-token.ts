/**
 * The headless server's bearer token: random, kept in the data folder readable by the
 * user alone, and reused across runs so a bookmarked or tunnelled URL keeps working.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../core/state/atomic-file.js';

export const SERVER_TOKEN_FILE = 'server-token';
const TOKEN_RE = /^[A-Za-z0-9_-]{32,128}$/;

export function loadOrCreateServerToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, SERVER_TOKEN_FILE);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (TOKEN_RE.test(existing)) {
      // A copy or an editor may have widened the mode: the token is a password.
      if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
      return existing;
    }
  } catch {
    // No token yet: make one.
  }
  const token = randomBytes(32).toString('base64url');
  writeFileAtomicSync(path, `${token}\n`, 0o600);
  chmodSync(path, 0o600);
  return token;
}
