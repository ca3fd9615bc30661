/**
 * Where a running server can be found: `<data dir>/server.json` ({port, host, pid}),
 * written once it listens and removed when it stops, so `modelbay` commands find it
 * with the token beside it (a port of 0 = "any free port" is only known after listen).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../core/state/atomic-file.js';

export const SERVER_ADDRESS_FILE = 'server.json';

export interface ServerAddress {
  port: number;
  host: string;
  pid: number;
}

export function writeServerAddress(dataDir: string, address: ServerAddress): void {
  writeFileAtomicSync(join(dataDir, SERVER_ADDRESS_FILE), `${JSON.stringify(address)}\n`, 0o600);
}

/** Removes the file only when it is still ours (a second server may have replaced it). */
export function removeServerAddress(dataDir: string, pid: number): void {
  const path = join(dataDir, SERVER_ADDRESS_FILE);
  try {
    const current = JSON.parse(readFileSync(path, 'utf8')) as Partial<ServerAddress>;
    if (current.pid === pid) rmSync(path, { force: true });
  } catch {
    // Gone or unreadable: nothing of ours to remove.
  }
}
