/**
 * The headless server's bearer token: random, kept in the data folder readable by the
 * user alone, and reused across runs so a bookmarked or tunnelled URL keeps working.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../core/fs/atomic-file.js';

export const SERVER_TOKEN_FILE = 'server-token';
const TOKEN_RE = /^[A-Za-z0-9_-]{32,128}$/;

export function serverTokenPath(dataDir: string): string {
  return join(dataDir, SERVER_TOKEN_FILE);
}

/** The token a server in `dataDir` uses, or null when none was made yet (for `modelbay token`: it never creates one). */
export function readServerToken(dataDir: string): string | null {
  try {
    const text = readFileSync(serverTokenPath(dataDir), 'utf8').trim();
    return TOKEN_RE.test(text) ? text : null;
  } catch {
    return null;
  }
}

export function loadOrCreateServerToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const path = serverTokenPath(dataDir);
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
