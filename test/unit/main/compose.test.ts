import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { composeApp } from '../../../src/main/startup/compose.js';
import { createArtifactManager } from '../../../src/main/core/artifacts/manager/artifact-manager.js';
import type { ArtifactManagerOptions } from '../../../src/main/core/artifacts/manager/artifact-manager.js';
import type { HostLauncher } from '../../../src/main/core/runtime/index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const CATALOG = join(import.meta.dirname, '../../../resources/catalog.json');
const launcher: HostLauncher = { launch: () => { throw new Error('no hosts here'); } };

describe('composeApp', () => {
  it('wires settings, the token store (with the cipher) and the artifact manager from the data folder and environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbay-compose-'));
    dirs.push(dir);
    const seen: ArtifactManagerOptions[] = [];
    const cipher = { encrypt: (s: string) => Buffer.from(s).reverse(), decrypt: (b: Buffer) => Buffer.from(b).reverse().toString() };
    const { app, tokens } = await composeApp({
      mode: 'headless',
      dataDir: dir,
      catalogPath: CATALOG,
      launcher,
      env: { HF_HOME: join(dir, 'hf'), HF_ENDPOINT: 'http://127.0.0.1:1', HF_HUB_OFFLINE: '1' },
      tokenCipher: cipher,
      app: { gpu: { nvidiaSmi: null } },
      createArtifacts: (options) => {
        seen.push(options);
        return createArtifactManager(options);
      },
    });
    try {
      expect(seen[0]).toMatchObject({ stateDir: join(dir, 'state'), catalogPath: CATALOG });
      expect(seen[0]?.config).toMatchObject({ cacheDir: join(dir, 'hf', 'hub'), endpoint: 'http://127.0.0.1:1', offline: true, token: null });
      const reply = await app.execute('setToken', { token: 'hf_composed' });
      expect(reply.ok && reply.result).toMatchObject({ token: { set: true, source: 'app', encrypted: true } });
      expect(readFileSync(join(dir, 'hf-token'), 'utf8')).not.toContain('hf_composed');
      expect(tokens.get()).toBe('hf_composed');
      // The real catalog over an empty cache: slots with a model are missing, E5 has none.
      await app.start();
      const readiness = app.snapshot().readiness?.slots ?? [];
      expect(readiness.find((s) => s.slot === 'E8')?.status).toBe('missing');
      expect(readiness.find((s) => s.slot === 'E5')?.status).toBe('no-model');
    } finally {
      await app.shutdown();
    }
  });
});
