import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isOffline as isOfflineEnv, resolveTokenFrom as resolveToken } from '../../../../../src/main/core/artifacts/hub/hub-environment.js';
import { encodeRepoPath, encodeRevision, HubClient, normalizeEndpoint } from '../../../../../src/main/core/artifacts/hub/hub-client.js';
import { startHubServer, type HubServer } from '../../../../../src/devkit/hub/hub-server.js';

describe('resolveToken', () => {
  const files: Record<string, string> = { '/h/token': ' hf_from_home \n', '/custom/tok': 'hf_from_path\n' };
  const readFile = (p: string): string => {
    const v = files[p];
    if (v === undefined) throw new Error('ENOENT');
    return v;
  };

  it('prefers the app token, then HF_TOKEN, HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, HF_HOME/token', () => {
    const env = { HF_TOKEN: 'hf_env1', HUGGING_FACE_HUB_TOKEN: 'hf_env2', HF_TOKEN_PATH: '/custom/tok', HF_HOME: '/h' };
    expect(resolveToken({ appToken: ' hf_app ', env, readFile })).toEqual({ token: 'hf_app', source: 'app' });
    expect(resolveToken({ appToken: '  ', env, readFile })).toEqual({ token: 'hf_env1', source: 'env' });
    expect(resolveToken({ env: { ...env, HF_TOKEN: '' }, readFile })).toEqual({ token: 'hf_env2', source: 'env' });
    expect(resolveToken({ env: { HF_TOKEN_PATH: '/custom/tok', HF_HOME: '/h' }, readFile })).toEqual({ token: 'hf_from_path', source: 'file' });
    expect(resolveToken({ env: { HF_HOME: '/h' }, readFile })).toEqual({ token: 'hf_from_home', source: 'file' });
    expect(resolveToken({ env: { HF_HOME: '/nowhere' }, readFile })).toEqual({ token: null, source: null });
  });
});

describe('URLs and settings', () => {
  it('removes trailing slashes from the endpoint and refuses non-http schemes', () => {
    expect(normalizeEndpoint('https://hub.example//')).toBe('https://hub.example');
    expect(() => normalizeEndpoint('file:///etc')).toThrow(expect.objectContaining({ code: 'EMB-E002' }) as Error);
  });

  it('encodes revisions with no safe characters and paths keeping /', () => {
    expect(encodeRevision('refs/pr/1')).toBe('refs%2Fpr%2F1');
    expect(encodeRepoPath('onnx/model file#1.onnx')).toBe('onnx/model%20file%231.onnx');
    const c = new HubClient({ endpoint: 'http://h/', token: null, offline: false });
    expect(c.resolveUrl('org/m', 'refs/pr/1', 'a b/c.json')).toBe('http://h/org/m/resolve/refs%2Fpr%2F1/a%20b/c.json');
    expect(() => c.resolveUrl('org/m', 'main', '../etc/passwd')).toThrow(expect.objectContaining({ code: 'EMB-E111' }) as Error);
  });

  it('reads HF_HUB_OFFLINE like huggingface_hub', () => {
    expect(isOfflineEnv({ HF_HUB_OFFLINE: '1' })).toBe(true);
    expect(isOfflineEnv({ HF_HUB_OFFLINE: 'true' })).toBe(true);
    expect(isOfflineEnv({ HF_HUB_OFFLINE: '0' })).toBe(false);
    expect(isOfflineEnv({})).toBe(false);
  });
});

describe('HubClient against the test Hub', () => {
  let hub: HubServer;
  const content = Buffer.alloc(2 << 20, 7);
  beforeAll(async () => {
    hub = await startHubServer({
      repos: [
        { id: 'org/m', commits: [{ files: [{ path: 'w.bin', content, lfs: true }, { path: 'c.json', content: Buffer.from('{}'), lfs: false }] }] },
        { id: 'org/gated', gated: true, commits: [{ files: [{ path: 'w.bin', content, lfs: true }] }] },
        { id: 'org/private', private: true, commits: [{ files: [{ path: 'w.bin', content, lfs: true }] }] },
        { id: 'org/off', disabled: true, commits: [{ files: [{ path: 'w.bin', content, lfs: true }] }] },
        { id: 'org/evil', commits: [{ files: [{ path: '../../escape.bin', content: Buffer.from('x'), lfs: false }] }] },
      ],
      tokens: { hf_good: { grants: ['org/gated', 'org/private'] }, hf_plain: {} },
      relativeRedirects: true,
    });
  });
  afterAll(async () => { await hub.close(); });

  const client = (token: string | null = null): HubClient => new HubClient({ endpoint: `${hub.endpoint}/`, token, offline: false });
  const code = async (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: unknown) => (e as { code: string }).code);

  it('maps every error of the notes to its code', async () => {
    expect(await code(client().fileMetadata('org/gated', 'main', 'w.bin'))).toBe('EMB-E102');
    const gatedPlain = await client('hf_plain').fileMetadata('org/gated', 'main', 'w.bin').catch((e: unknown) => e as Error);
    expect(gatedPlain).toMatchObject({ code: 'EMB-E102', details: { status: 403 } });
    expect((gatedPlain as Error).message).toMatch(/accept the licence/);
    expect((await client().fileMetadata('org/gated', 'main', 'w.bin').catch((e: unknown) => e as Error) as Error).message).toMatch(/token/);
    expect(await code(client().fileMetadata('org/private', 'main', 'w.bin'))).toBe('EMB-E103');
    expect(await code(client('hf_plain').fileMetadata('org/nothing', 'main', 'w.bin'))).toBe('EMB-E103');
    expect(await code(client().fileMetadata('org/m', 'nobranch', 'w.bin'))).toBe('EMB-E104');
    expect(await code(client().fileMetadata('org/m', 'main', 'missing.bin'))).toBe('EMB-E105');
    expect(await code(client('hf_wrong').fileMetadata('org/m', 'main', 'w.bin'))).toBe('EMB-E106');
    expect(await code(client().fileMetadata('org/off', 'main', 'w.bin'))).toBe('EMB-E117');
    hub.addFault({ path: 'w.bin', action: { kind: 'status', status: 502 } });
    const e502 = await client().fileMetadata('org/m', 'main', 'w.bin').catch((e: unknown) => e as Error);
    expect(e502).toMatchObject({ code: 'EMB-E116', details: { status: 502, retryable: true } });
    expect(await code(client('hf_good').fileMetadata('org/private', 'main', 'w.bin'))).toBe('ok');
  });

  it('reports a closed port as a retryable network error', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const err = await new HubClient({ endpoint: `http://127.0.0.1:${port}`, token: null, offline: false }).fileMetadata('org/m', 'main', 'w.bin').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMB-E107', details: { retryable: true } });
  });

  it('fails fast offline without any request', async () => {
    hub.clearLog();
    const c = new HubClient({ endpoint: hub.endpoint, token: null, offline: true });
    expect(await code(c.fileMetadata('org/m', 'main', 'w.bin'))).toBe('EMB-E112');
    expect(await code(c.listFiles('org/m', 'main'))).toBe('EMB-E112');
    expect(hub.log).toEqual([]);
  });

  it('reads LFS metadata from the 302 and never follows it; follows relative 307s with the token', async () => {
    hub.clearLog();
    const lfs = await client('hf_good').fileMetadata('org/m', 'main', 'w.bin');
    expect(lfs.lfs).toBe(true);
    expect(lfs.size).toBe(content.length);
    expect(lfs.downloadUrl.startsWith(`${hub.cdnOrigin}/repos/`)).toBe(true);
    const reg = await client('hf_good').fileMetadata('org/m', 'main', 'c.json');
    expect(reg).toMatchObject({ lfs: false, size: 2, etag: expect.stringMatching(/^[0-9a-f]{40}$/) as string });
    expect(reg.downloadUrl).toContain(`/resolve/${reg.commit}/c.json`);
    expect(hub.log.map((r) => [r.method, r.origin, r.status, r.auth])).toEqual([
      ['HEAD', 'hub', 302, 'Bearer hf_good'],
      ['HEAD', 'hub', 307, 'Bearer hf_good'],
      ['HEAD', 'hub', 200, 'Bearer hf_good'],
    ]);
    expect(hub.cdnAuthorizations).toEqual([]);
  });

  it('sends the token to the Hub host but strips it on the redirect to the CDN', async () => {
    hub.clearLog();
    const c = client('hf_good');
    const res = await c.get(c.resolveUrl('org/gated', 'main', 'w.bin'), { idleTimeoutMs: 5000 });
    let n = 0;
    for await (const chunk of res.body) n += (chunk as Buffer).length;
    expect(n).toBe(content.length);
    expect(hub.log.filter((r) => r.origin === 'hub').map((r) => r.auth)).toEqual(['Bearer hf_good']);
    expect(hub.cdnAuthorizations).toEqual([null]);
  });

  it('refuses hostile values: etags and commits that are no file names, odd sizes, non-http redirects', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'X-Linked-Etag': '"../../../../tmp/evil"' }, 'EMB-E111'],
      [{ 'X-Linked-Etag': `"/${'a'.repeat(63)}"` }, 'EMB-E111'],
      [{ 'X-Repo-Commit': '../../refs/main' }, 'EMB-E111'],
      [{ 'X-Linked-Size': '-5' }, 'EMB-E116'],
      [{ 'X-Linked-Size': '1e20' }, 'EMB-E116'],
      [{ Location: 'file:///etc/passwd' }, 'EMB-E111'],
    ];
    for (const [set, want] of cases) {
      hub.addFault({ path: 'w.bin', method: 'HEAD', action: { kind: 'headers', set } });
      expect([set, await code(client().fileMetadata('org/m', 'main', 'w.bin'))]).toEqual([set, want]);
    }
  });

  it('lists files recursively with LFS sizes and refuses paths that leave the repository', async () => {
    const files = await client().listFiles('org/m', 'main');
    expect(files.filter((f) => f.type === 'file').map((f) => [f.path, f.size, f.lfs?.size ?? null])).toEqual([['w.bin', content.length, content.length], ['c.json', 2, null]]);
    expect(await code(client().revisionCommit('org/m', 'main'))).toBe('ok');
    expect(await code(client().listFiles('org/evil', 'main'))).toBe('EMB-E111');
  });
});
