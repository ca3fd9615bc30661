import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppLog } from '../../../../src/main/logging/app-log.js';
import { Redactor } from '../../../../src/main/logging/redact.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const HF = 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const SERVER = 'Zq8uX2p9K4mT7wR1vB6nY3cE';

describe('app log', () => {
  it('rotates by size, keeps a bounded number of files, and never writes a token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbay-log-'));
    dirs.push(dir);
    const log = createAppLog({ dir, maxBytes: 4096, files: 2 });
    log.redactor.addSecret(SERVER);
    for (let i = 0; i < 400; i++) {
      log.logger.info({ i, token: HF, request: { url: `/?token=${SERVER}`, headers: { authorization: `Bearer ${SERVER}` } } }, `line ${i} with ${HF} inside`);
      // The last error comes just before the last line: the check below reads it back whatever the
      // line lengths (pid digits, stack paths) make rotation keep of the earlier ones.
      if (i % 50 === 0 || i === 398) log.logger.error({ code: 'EMB-E106', details: { message: `401 for ${HF}` }, err: new Error(`refused ${HF}`) }, 'token refused');
      // Let the rotating stream rotate between bursts, as time does in the app.
      if (i % 40 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const tail = await log.tail(500);
    await log.close();

    const files = readdirSync(dir).sort();
    expect(files).toEqual(['modelbay.1.log', 'modelbay.2.log', 'modelbay.log']);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(statSync(join(dir, f)).size).toBeLessThan(4096 + 1024);
      expect(text).not.toContain(HF);
      expect(text).not.toContain(SERVER);
      expect(text).not.toContain('AbCdEfGhIjKl');
      for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
    // The newest lines are kept, oldest first, and read back as written.
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.length).toBeLessThanOrEqual(500);
    const last = JSON.parse(tail[tail.length - 1] as string) as { msg: string; token: string; request: { url: string; headers: { authorization: string } } };
    expect(last.msg).toBe('line 399 with hf_[redacted] inside');
    expect(last.token).toBe('[redacted]');
    expect(last.request.url).toBe('/?token=[redacted]');
    expect(last.request.headers.authorization).toBe('[redacted]');
    const errors = tail.map((l) => JSON.parse(l) as { level: number; code?: string; err?: { message: string } }).filter((l) => l.code === 'EMB-E106');
    expect(errors.at(-1)?.err?.message).toBe('refused hf_[redacted]');
  });

  it('debug lines appear only with debug on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbay-log-'));
    dirs.push(dir);
    const log = createAppLog({ dir });
    log.logger.debug('hidden');
    log.setDebug(true);
    log.logger.debug('shown');
    const lines = await log.tail(10);
    await log.close();
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });

  it('the redactor hides exact secrets, token shapes and secret-named fields', () => {
    const r = new Redactor();
    r.addSecret('short');
    r.addSecret('a-long-custom-secret');
    expect(r.text('x a-long-custom-secret y short')).toBe('x [redacted] y short');
    expect(r.value({ hfToken: 'abc', nested: { cookie: 'modelbay=xyz' }, ok: true })).toEqual({ hfToken: '[redacted]', nested: { cookie: '[redacted]' }, ok: true });
  });
});
