import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandResults } from '../../../src/shared/contract/api.js';
import { composeApp } from '../../../src/main/startup/compose.js';
import type { HostLauncher } from '../../../src/main/core/runtime/index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const CATALOG = join(import.meta.dirname, '../../../resources/catalog.json');
const launcher: HostLauncher = { launch: () => { throw new Error('no hosts here'); } };
const TOKEN = 'hf_EnvTokenThatMustNeverBeLogged0123';

describe('composeApp: the log file', () => {
  it('records every failed command with its code and details, reads back through readLog, never holds the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbay-compose-log-'));
    dirs.push(dir);
    const { app, log } = await composeApp({
      mode: 'headless', dataDir: dir, catalogPath: CATALOG, launcher, version: '9.9.9',
      env: { HF_HOME: join(dir, 'hf'), HF_ENDPOINT: 'http://127.0.0.1:1', HF_HUB_OFFLINE: '1', HF_TOKEN: TOKEN },
      app: { gpu: { nvidiaSmi: null } },
    });
    try {
      await app.start();
      const failed = await app.execute('unload', { slot: 'E3' });
      expect(failed.ok).toBe(false);
      await app.execute('setToken', { token: 'hf_SavedInTheAppNeverLogged4567' });
      await app.execute('updateSettings', { debugLog: true });
      const reply = await app.execute('readLog', { lines: 500 });
      if (!reply.ok) throw new Error(reply.error.message);
      const result = reply.result as CommandResults['readLog'];
      expect(result.file).toBe(join(dir, 'logs', 'modelbay.log'));
      const lines = result.lines.map((l) => JSON.parse(l) as { msg: string; code?: string; command?: string; details?: Record<string, unknown>; version?: string });
      expect(lines[0]).toMatchObject({ msg: 'Modelbay started', version: '9.9.9' });
      expect(lines.find((l) => l.command === 'unload')).toMatchObject({ code: 'EMB-E005', details: { slot: 'E3' } });
      const opened = await app.execute('openLogs', {});
      expect(opened.ok && opened.result).toEqual({ opened: false, path: join(dir, 'logs') });
    } finally {
      await app.shutdown();
      await log?.close();
    }
    const text = readFileSync(join(dir, 'logs', 'modelbay.log'), 'utf8');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('hf_SavedInTheAppNeverLogged4567');
  });
});
