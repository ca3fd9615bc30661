import { describe, expect, it } from 'vitest';
import type { CatalogSlotView } from '../../../../src/shared/artifacts/artifacts.js';
import { SlotSettingsSchema } from '../../../../src/shared/settings/settings.js';
import {
  acceptSaved,
  deviceChoices,
  slotConfigErrorsFromCommand,
  slotConfigForm,
  slotConfigLocks,
  slotConfigPlan,
  sourceFormFromCatalog,
} from '../../../../src/renderer/src/store/slot-config-form.js';
import { errorsByField, issuesFromDetails } from '../../../../src/renderer/src/store/form-issues.js';
import { slotSnapshot } from '../snapshot-fixture.js';

const catalog: CatalogSlotView = {
  slot: 'E7', status: 'stand-in', repo: 'jinaai/jina-embeddings-v2-base-code', revision: 'main', variant: 'fp32',
  files: [
    { path: 'onnx/model.onnx', role: 'model', size: null, sha256: null },
    { path: 'onnx/model.onnx_data', role: 'external-data', size: null, sha256: null },
    { path: 'tokenizer.json', role: 'tokenizer', size: 711_396, sha256: null },
    { path: 'config.json', role: 'config', size: 1000, sha256: null },
  ],
  dims: 768, pooling: 'mean', license: 'apache-2.0', gated: false, note: null,
};
const defaults = SlotSettingsSchema.parse({});

describe('slot configuration form', () => {
  it('opens on the model the slot uses: the catalog files by role, or the user’s own source', () => {
    const form = slotConfigForm(slotSnapshot('E7', { device: 'cuda:1' }), catalog, defaults);
    expect(form).toEqual({
      device: 'cuda:1', idleTtlMinutes: '', alias: '', repo: 'jinaai/jina-embeddings-v2-base-code', revision: 'main', model: 'onnx/model.onnx',
      externalData: 'onnx/model.onnx_data', tokenizer: 'tokenizer.json', pooling: 'mean', dims: '768',
    });
    const own = { ...defaults, idleTtlMs: 90_000, source: { repo: 'me/m', revision: 'v2', model: 'm.onnx', externalData: [], tokenizer: null, pooling: 'cls' as const, dims: null } };
    expect(slotConfigForm(slotSnapshot('E7'), catalog, own)).toMatchObject({ idleTtlMinutes: '1.5', repo: 'me/m', revision: 'v2', tokenizer: '', pooling: 'cls', dims: '' });
    expect(sourceFormFromCatalog({ ...catalog, status: 'none', repo: null, files: [] })).toMatchObject({ repo: '', model: '', revision: 'main' });
  });

  it('sends only what changed: nothing, a device, a TTL back to the default, a whole source', () => {
    const initial = slotConfigForm(slotSnapshot('E7'), catalog, defaults);
    expect(slotConfigPlan('E7', initial, initial)).toEqual({ ok: true, commands: [] });
    expect(slotConfigPlan('E7', initial, { ...initial, device: 'cpu' })).toEqual({ ok: true, commands: [{ command: 'setDevice', input: { slot: 'E7', device: 'cpu' } }] });
    const withTtl = { ...initial, idleTtlMinutes: '15' };
    expect(slotConfigPlan('E7', withTtl, { ...withTtl, idleTtlMinutes: ' ' })).toEqual({ ok: true, commands: [{ command: 'setIdleTtl', input: { slot: 'E7', ttlMs: null } }] });
    const plan = slotConfigPlan('E7', initial, { ...initial, repo: ' me/code-model ', revision: '', externalData: '\n a.onnx_data \n\nb.onnx_data', tokenizer: '', dims: '', device: 'cpu' });
    expect(plan).toEqual({
      ok: true,
      commands: [
        { command: 'setSlotSource', input: { slot: 'E7', source: { repo: 'me/code-model', revision: 'main', model: 'onnx/model.onnx', externalData: ['a.onnx_data', 'b.onnx_data'], tokenizer: null, pooling: 'mean', dims: null } } },
        { command: 'setDevice', input: { slot: 'E7', device: 'cpu' } },
      ],
    });
  });

  it('reports invalid values on their field with a code, and sends nothing', () => {
    const initial = slotConfigForm(slotSnapshot('E7'), catalog, defaults);
    const bad = slotConfigPlan('E7', initial, { ...initial, repo: 'nope', externalData: 'ok.bin\n/abs.bin', dims: 'many', idleTtlMinutes: '-3', device: 'cpu' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(Object.keys(bad.errors).sort()).toEqual(['dims', 'externalData', 'idleTtlMinutes', 'repo']);
      expect(bad.errors.dims).toEqual({ code: 'EMB-E002', message: 'not a number' });
      expect(bad.errors.idleTtlMinutes).toEqual({ code: 'EMB-E002', message: 'more than 0 minutes, or empty for the default' });
    }
    const schema = slotConfigPlan('E7', initial, { ...initial, repo: 'nope', externalData: 'ok.bin\n/abs.bin', dims: '0' });
    expect(schema.ok).toBe(false);
    if (!schema.ok) {
      expect(schema.errors.repo).toEqual({ code: 'EMB-E002', message: 'a repository is "owner/name"' });
      expect(schema.errors.externalData?.message).toMatch(/relative/);
      expect(schema.errors.dims?.code).toBe('EMB-E002');
    }
    const long = slotConfigPlan('E7', initial, { ...initial, idleTtlMinutes: '50000' });
    expect(!long.ok && long.errors.idleTtlMinutes?.message).toBe('at most 30 days (43200 minutes)');
  });

  it('puts backend refusals on the field they concern', () => {
    const e007 = { code: 'EMB-E007' as const, message: 'E7 is loaded: unload it before you move it to cpu.', details: {} };
    expect(slotConfigErrorsFromCommand('setDevice', e007)).toEqual({ device: { code: 'EMB-E007', message: e007.message } });
    expect(slotConfigErrorsFromCommand('setIdleTtl', { ...e007, code: 'EMB-E401' })).toEqual({ idleTtlMinutes: { code: 'EMB-E401', message: e007.message } });
    const invalid = { code: 'EMB-E401' as const, message: 'Invalid input', details: { issues: [{ path: 'source.revision', message: 'a revision is a branch, tag or commit' }] } };
    expect(slotConfigErrorsFromCommand('setSlotSource', invalid)).toEqual({ revision: { code: 'EMB-E401', message: 'a revision is a branch, tag or commit' } });
    expect(slotConfigErrorsFromCommand('setSlotSource', { code: 'EMB-E103', message: 'no such repo', details: {} })).toEqual({ repo: { code: 'EMB-E103', message: 'no such repo' } });
    expect(slotConfigErrorsFromCommand('setSlotSource', { ...e007, message: 'E7 is downloading' })).toEqual({ source: { code: 'EMB-E007', message: 'E7 is downloading' } });
  });

  it('locks device and source while the backend would refuse them (EMB-E007)', () => {
    expect(slotConfigLocks(slotSnapshot('E1', { state: 'loaded' }))).toEqual({ device: 'E1 is loaded: evict it first, then move it.', source: 'E1 is loaded: evict it first, then change its model.' });
    expect(slotConfigLocks(slotSnapshot('E6', { state: 'downloading' }))).toEqual({ device: null, source: 'E6 is downloading: pause or cancel it before changing its model.' });
    expect(slotConfigLocks(slotSnapshot('E2', { state: 'ready' }))).toEqual({ device: null, source: null });
  });

  it('after a partial save only the unsaved part is sent again; devices list cuda in order, then cpu', () => {
    const initial = slotConfigForm(slotSnapshot('E7'), catalog, defaults);
    const form = { ...initial, repo: 'me/x', device: 'cpu' };
    const plan = slotConfigPlan('E7', initial, form);
    if (!plan.ok) throw new Error('expected a plan');
    const next = acceptSaved(initial, form, plan.commands.slice(0, 1));
    expect(slotConfigPlan('E7', next, form)).toEqual({ ok: true, commands: [{ command: 'setDevice', input: { slot: 'E7', device: 'cpu' } }] });
    expect(deviceChoices(['cpu', 'cuda:10', 'cuda:2'], 'cuda:0')).toEqual(['cuda:0', 'cuda:2', 'cuda:10', 'cpu']);
    // Without the CUDA provider only cpu is offered; the current device stays visible.
    expect(deviceChoices(['cuda:0', 'cuda:1', 'cpu'], 'cpu', false)).toEqual(['cpu']);
    expect(deviceChoices(['cuda:0', 'cuda:1', 'cpu'], 'cuda:1', false)).toEqual(['cuda:1', 'cpu']);
  });
});

describe('form issues', () => {
  it('reads issues from error details and keeps the first per field', () => {
    const issues = issuesFromDetails({ issues: [{ path: 'a.b', message: 'one' }, { path: 'a.c', message: 'two' }, { path: '', message: 'root' }, null, { path: 1 }] });
    expect(issues).toEqual([{ path: ['a', 'b'], message: 'one' }, { path: ['a', 'c'], message: 'two' }, { path: [], message: 'root' }]);
    expect(errorsByField(issues, (p) => (p[0] === 'a' ? 'a' : null))).toEqual({ a: 'one' });
    expect(issuesFromDetails({})).toEqual([]);
  });
});
