/** The build's Electron fuses: the configuration, and what the step writes into a binary's fuse wire. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ELECTRON_FUSES, fuseConfig } from '../../../scripts/electron-fuses.mjs';

const SCRIPT = join(import.meta.dirname, '../../../scripts/electron-fuses.mjs');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

describe('Electron fuses', () => {
  it('the build configuration turns off RunAsNode, NODE_OPTIONS and inspect arguments, and turns on cookie encryption', () => {
    expect(ELECTRON_FUSES).toEqual({
      RunAsNode: false,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableCookieEncryption: true,
    });
    // Indexes of the fuse wire, as @electron/fuses numbers them.
    expect(fuseConfig()).toEqual({ version: '1', 0: false, 1: true, 2: false, 3: false });
  });

  it('the step flips exactly those fuses in a binary and leaves the others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbay-fuses-'));
    const binary = join(dir, 'electron');
    // A fuse wire as Electron embeds it: sentinel, version 1, length 8, then '1' (on) / '0' (off) per fuse.
    writeFileSync(binary, Buffer.concat([Buffer.from('\x7fELF…code…'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from('10111111'), Buffer.from('…more code…')]));
    const res = spawnSync(process.execPath, [SCRIPT, binary], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const bytes = readFileSync(binary);
    const wire = bytes.subarray(bytes.indexOf(SENTINEL) + SENTINEL.length + 2, bytes.indexOf(SENTINEL) + SENTINEL.length + 10).toString();
    expect(wire).toBe('01001111');
  });
});
