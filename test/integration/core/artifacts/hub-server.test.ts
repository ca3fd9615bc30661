/** The test Hub itself speaks the protocol the client relies on (raw HTTP, no client code). */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitSha, gitBlobSha1, sha256Hex, start, type HubServer } from '../../../../src/devkit/hub/hub-server.js';

describe('test Hub server', () => {
  let hub: HubServer;
  const lfs = Buffer.alloc(100_000, 3);
  const small = Buffer.from('{"a":1}');
  beforeAll(async () => {
    hub = await start({ repos: [{ id: 'o/r', commits: [{ files: [{ path: 'w.bin', content: lfs, lfs: true }, { path: 'd/c.json', content: small, lfs: false }] }] }] });
  });
  afterAll(async () => { await hub.close(); });

  it('HEAD of an LFS file: 302 to the CDN with quoted X-Linked-Etag, X-Linked-Size and the commit', async () => {
    const r = await request(`${hub.endpoint}/o/r/resolve/main/w.bin`, { method: 'HEAD' });
    expect(r.statusCode).toBe(302);
    expect(r.headers['x-linked-etag']).toBe(`"${sha256Hex(lfs)}"`);
    expect(r.headers['x-linked-size']).toBe(String(lfs.length));
    expect(r.headers['x-repo-commit']).toBe(commitSha('o/r', 0));
    expect(String(r.headers['location'])).toMatch(new RegExp(`^${hub.cdnOrigin}/repos/.*X-Amz-Signature=`));
    await r.body.dump();
  });

  it('regular files: ETag is the git blob sha1, Range gives 206 with Content-Range, past the end 416', async () => {
    const url = `${hub.endpoint}/o/r/resolve/main/d/c.json`;
    const head = await request(url, { method: 'HEAD' });
    expect(head.headers['etag']).toBe(`"${gitBlobSha1(small)}"`);
    expect(head.headers['accept-ranges']).toBe('bytes');
    await head.body.dump();
    const part = await request(url, { headers: { range: 'bytes=2-' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 2-${small.length - 1}/${small.length}`);
    expect(await part.body.text()).toBe(small.subarray(2).toString());
    const past = await request(url, { headers: { range: `bytes=${small.length}-` } });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${small.length}`);
    await past.body.dump();
  });

  it('tree API lists directories and LFS entries; revision API gives the sha', async () => {
    const tree = await request(`${hub.endpoint}/api/models/o/r/tree/main?recursive=true`);
    expect(await tree.body.json()).toEqual([
      { type: 'file', oid: gitBlobSha1(lfs), size: lfs.length, path: 'w.bin', lfs: { oid: sha256Hex(lfs), size: lfs.length, pointerSize: 134 } },
      { type: 'directory', oid: expect.any(String) as string, size: 0, path: 'd' },
      { type: 'file', oid: gitBlobSha1(small), size: small.length, path: 'd/c.json' },
    ]);
    const rev = await request(`${hub.endpoint}/api/models/o/r/revision/main`);
    expect(await rev.body.json()).toMatchObject({ sha: commitSha('o/r', 0) });
  });

  it('a stall of N ms delays the body and then finishes it', async () => {
    hub.addFault({ path: 'c.json', method: 'GET', action: { kind: 'stall', afterBytes: 3, ms: 50 } });
    const r = await request(`${hub.endpoint}/o/r/resolve/main/d/c.json`);
    expect(await r.body.text()).toBe(small.toString());
  });
});
