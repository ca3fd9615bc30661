import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog, parseCatalog, slotModel, slotView } from '../../../../../src/main/core/artifacts/manager/catalog.js';
import { ModelbayError } from '../../../../../src/shared/errors/errors.js';
import { SlotSourceSchema } from '../../../../../src/shared/settings/settings.js';
import { SLOT_IDS } from '../../../../../src/shared/slots/slots.js';
import { catalogDoc } from '../../../../../src/devkit/artifacts/test-catalog.js';

const DEFAULT_CATALOG = join(import.meta.dirname, '../../../../../resources/catalog.json');

function codeOf(fn: () => unknown): { code: string; details: Record<string, unknown>; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelbayError);
    const e = err as ModelbayError;
    return { code: e.code, details: e.details, message: e.message };
  }
  throw new Error('expected a ModelbayError');
}

const e8 = { repo: 'org/model', revision: 'main', files: [{ path: 'onnx/model.onnx', role: 'model' as const }, { path: 'tokenizer.json', role: 'tokenizer' as const }] };

describe('the default catalog', () => {
  it('loads, covers the 13 slots and is honest about slots without a model', async () => {
    const catalog = await loadCatalog(DEFAULT_CATALOG);
    expect(Object.keys(catalog).sort()).toEqual([...SLOT_IDS].sort());
    const views = SLOT_IDS.map((s) => slotView(catalog[s], slotModel(catalog[s], null)));
    const status = Object.fromEntries(views.map((v) => [v.slot, v.status]));
    expect(status).toEqual({ E1: 'real', E2: 'stand-in', E3: 'stand-in', E4: 'stand-in', E5: 'none', E6: 'real', E7: 'stand-in', E8: 'real', E9: 'none', E10: 'real', E11: 'real', E12: 'real', E13: 'none' });
    for (const v of views.filter((x) => x.status === 'none')) {
      expect(v.repo).toBeNull();
      expect(v.note).toMatch(/no default model — choose one/i);
    }
    for (const v of views.filter((x) => x.status === 'stand-in')) expect(v.note).toMatch(/stand-in/i);
    const v8 = views.find((v) => v.slot === 'E8');
    expect(v8?.revision).toBe('1110a243fdf4706b3f48f1d95db1a4f5529b4d41');
    expect(v8?.files.find((f) => f.role === 'model')).toEqual({ path: 'onnx/model.onnx', role: 'model', size: 90_405_214, sha256: '6fd5d72fe4589f189f8ebc006442dbb529bb7ce38f8082112682524616046452' });
    expect(views.find((v) => v.slot === 'E7')?.dims).toBe(768);
    expect(views.find((v) => v.slot === 'E12')?.pooling).toBe('none');
    expect(catalog.E13.note).toMatch(/non-commercial/);
    // Every slot with a model names one model file and a tokenizer in its chosen variant.
    for (const v of views.filter((x) => x.status !== 'none')) {
      expect(v.files.filter((f) => f.role === 'model')).toHaveLength(1);
      expect(v.files.some((f) => f.role === 'tokenizer')).toBe(true);
    }
  });
});

describe('catalog validation', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mb-catalog-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('refuses a file that is not JSON with EMB-E115', async () => {
    const p = join(dir, 'catalog.json');
    await writeFile(p, '{ "version": 1, "slots": [');
    await expect(loadCatalog(p)).rejects.toMatchObject({ code: 'EMB-E115' });
  });

  it('refuses an unknown slot, naming it and the field', () => {
    const doc = catalogDoc({ E8: e8 });
    (doc.slots[7] as { slot: string }).slot = 'E14';
    const e = codeOf(() => parseCatalog(doc));
    expect(e.code).toBe('EMB-E115');
    expect(e.details).toMatchObject({ slot: 'E14', field: 'slot' });
  });

  it('refuses a catalog that misses a slot or repeats one', () => {
    const doc = catalogDoc({});
    doc.slots.pop();
    expect(codeOf(() => parseCatalog(doc))).toMatchObject({ code: 'EMB-E115', details: { slots: ['E13'] } });
    const twice = catalogDoc({});
    twice.slots.push(twice.slots[0]);
    expect(codeOf(() => parseCatalog(twice))).toMatchObject({ code: 'EMB-E115', details: { slot: 'E1' } });
  });

  it('refuses a malformed sha256 with EMB-E115 naming slot and field', () => {
    const doc = catalogDoc({ E8: { ...e8, files: [{ path: 'model.onnx', role: 'model', sha256: 'ABC123' }] } });
    const e = codeOf(() => parseCatalog(doc));
    expect(e.code).toBe('EMB-E115');
    expect(e.details).toMatchObject({ slot: 'E8', field: 'variants.fp32.files.0.sha256' });
    expect(e.message).toContain('E8');
  });

  it.each(['../../etc/passwd', '/abs/model.onnx', 'onnx/../../x.onnx', 'a\\b.onnx', 'onnx//model.onnx'])('refuses the escaping path %s with EMB-E111', (path) => {
    const doc = catalogDoc({ E3: { ...e8, files: [{ path, role: 'model' }] } });
    expect(codeOf(() => parseCatalog(doc))).toMatchObject({ code: 'EMB-E111', details: { slot: 'E3' } });
  });

  it('refuses inconsistent entries: no model file, a missing default variant, a "none" slot with a repo', () => {
    expect(codeOf(() => parseCatalog(catalogDoc({ E8: { ...e8, files: [{ path: 'tokenizer.json', role: 'tokenizer' }] } })))).toMatchObject({ code: 'EMB-E115', details: { slot: 'E8' } });
    const noDefault = catalogDoc({ E8: e8 });
    (noDefault.slots[7] as { defaultVariant: string }).defaultVariant = 'int8';
    expect(codeOf(() => parseCatalog(noDefault))).toMatchObject({ code: 'EMB-E115', details: { slot: 'E8', field: 'defaultVariant' } });
    const noneWithRepo = catalogDoc({});
    (noneWithRepo.slots[4] as { repo: string }).repo = 'org/x';
    expect(codeOf(() => parseCatalog(noneWithRepo))).toMatchObject({ code: 'EMB-E115', details: { slot: 'E5' } });
  });

  it('lets a user source replace a slot, including a slot without a default model', () => {
    const catalog = parseCatalog(catalogDoc({ E8: e8 }));
    expect(slotModel(catalog.E5, null)).toBeNull();
    const source = SlotSourceSchema.parse({ repo: 'me/longformer-onnx', model: 'model.onnx', dims: 768 });
    const m = slotModel(catalog.E5, source);
    expect(m).toMatchObject({ origin: 'user', repo: 'me/longformer-onnx', revision: 'main', dims: 768, pooling: 'mean' });
    expect(m?.files.map((f) => [f.path, f.role])).toEqual([['model.onnx', 'model'], ['tokenizer.json', 'tokenizer']]);
    expect(slotView(catalog.E5, m).status).toBe('real');
  });
});
