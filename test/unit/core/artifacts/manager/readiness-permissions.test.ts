/** Issue #10: an unreadable cache folder is a permission problem, not "Not downloaded". */
import { describe, expect, it } from 'vitest';
import type { SlotModel } from '../../../../../src/main/core/artifacts/manager/catalog.js';
import { HubCacheLayout } from '../../../../../src/main/core/artifacts/cache/hf-cache-layout.js';
import type { MetadataFs } from '../../../../../src/main/core/artifacts/cache/revision-refs.js';
import { checkSlot } from '../../../../../src/main/core/artifacts/manager/readiness.js';
import { VerificationRecords } from '../../../../../src/main/core/artifacts/manager/verification-records.js';

const model: SlotModel = {
  slot: 'E8', status: 'real', origin: 'catalog', repo: 'org/e8', revision: 'main', variant: null, dims: 8, pooling: 'mean', license: null,
  files: [{ path: 'model.onnx', role: 'model', size: 10, sha256: null }],
} as SlotModel;

function failing(code: string): MetadataFs {
  const err = (path: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: ${path}`), { code, path });
  return {
    stat: (p) => Promise.reject(err(p)),
    realpath: (p) => Promise.reject(err(p)),
    readFile: (p) => Promise.reject(err(p)),
  };
}

describe('readiness: permissions', () => {
  it('an unreadable cache folder fails with EMB-E123 naming the folder', async () => {
    const layout = new HubCacheLayout('/srv/hf-cache');
    const c = await checkSlot('E8', model, layout, new VerificationRecords('/nonexistent/v.json'), failing('EACCES'));
    expect(c.readiness).toMatchObject({ status: 'failed', code: 'EMB-E123' });
    expect(c.readiness.reason).toContain('/srv/hf-cache');
  });

  it('a cache folder that simply lacks the files still reads not downloaded (EMB-E101)', async () => {
    const c = await checkSlot('E8', model, new HubCacheLayout('/srv/hf-cache'), new VerificationRecords('/nonexistent/v.json'), failing('ENOENT'));
    expect(c.readiness).toMatchObject({ status: 'missing', code: 'EMB-E101' });
  });
});
