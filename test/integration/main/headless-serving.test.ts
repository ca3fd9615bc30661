/**
 * The real headless entry as a process serves /v1 and /metrics to the official `openai`
 * client, and the real `modelbay` bin finds it through the data folder (token + the port
 * its lock records), then reports no server once it stopped.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';

const ENTRY = join(import.meta.dirname, '../../../src/main/headless/main.ts');
const BIN = join(import.meta.dirname, '../../../scripts/modelbay.mjs');

function bin(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr });
    });
  });
}

describe('headless entry serving code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelbay-headless-serve-'));
  const dataDir = join(dir, 'data');
  const env = { ...process.env, HOME: dir, HF_HOME: join(dir, 'hf'), HF_ENDPOINT: 'http://127.0.0.1:9', XDG_CONFIG_HOME: join(dir, 'cfg'), PATH: `/nonexistent:${process.env['PATH'] ?? ''}`, MODELBAY_PORT: '', MODELBAY_DATA_DIR: dataDir };
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the openai client, /metrics, and the modelbay bin; exit 3 after it stopped', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stdout.on('data', (c: string) => {
          out += c;
          const m = /OpenAI-compatible API: (http:\/\/\S+\/v1)/.exec(out);
          if (m) resolve(m[1] as string);
        });
        child.stderr.on('data', (c: string) => {
          out += c;
        });
        child.on('exit', () => reject(new Error(`exited before serving:\n${out}`)));
      });
      const token = readFileSync(join(dataDir, 'server-token'), 'utf8').trim();
      const client = new OpenAI({ baseURL: url, apiKey: token, maxRetries: 0 });
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(['E1', 'E8', 'E12']));
      expect(models.data.find((m) => m.id === 'E12')).toMatchObject({ kind: 'multi-vector', state: 'missing' });
      // Nothing is downloaded here: the slot cannot serve now, and says why.
      await expect(client.embeddings.create({ model: 'E8', input: 'x' })).rejects.toMatchObject({ status: 503, code: 'EMB-E101' });
      const metrics = await fetch(url.replace(/v1$/, 'metrics'), { headers: { authorization: `Bearer ${token}` } });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      // The lazy load that could not happen left the slot failed, with its request counted.
      expect(text).toContain('modelbay_slot_state{slot="E8",state="failed"} 1');
      expect(text).toContain('modelbay_embed_requests_total{slot="E8",endpoint="/v1/embeddings",outcome="error"} 1');
      expect(text).toContain('modelbay_slot_state{slot="E12",state="missing"} 1');

      const status = await bin(['status', '--json'], env);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.out)).toMatchObject({ url: url.replace(/v1$/, ''), mode: 'headless', total: 13 });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
    }
    const after = await bin(['ls'], env);
    expect(after.code).toBe(3);
    expect(after.err).toContain('modelbay serve');
  }, 90_000);
});
