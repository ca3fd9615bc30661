/** The pure parts of layouts: lockfile reading errors, names, GPU resources, protobuf text. */
import { describe, expect, it } from 'vitest';
import { parseLockfile, serializeLockfile, type LockedSlot, type Lockfile } from '../../../../src/shared/layouts/layouts.js';
import { gpuResources, inferenceService } from '../../../../src/main/core/layouts/layout-export.js';
import { dnsLabel, exportBaseName } from '../../../../src/main/core/layouts/model-names.js';
import { pbEnum, toPbtxt } from '../../../../src/main/core/layouts/pbtxt.js';

const slot = (over: Partial<LockedSlot>): LockedSlot => ({
  slot: 'E1', repo: 'org/a', revision: 'a'.repeat(40), files: [{ path: 'model.onnx', role: 'model', sha256: 'b'.repeat(64), size: 10 }],
  variant: null, pooling: 'mean', dims: 8, device: 'cpu', alias: null, pinned: false, preload: false, ...over,
});
const lock = (slots: LockedSlot[]): Lockfile => ({ lockfileVersion: 1, createdAt: '2026-12-04T15:00:00.000Z', modelbay: '1.0.0', slots });

describe('lockfiles', () => {
  it('round-trip in a stable order: slots E1…E13, files by path, keys fixed', () => {
    const l = lock([slot({ slot: 'E10' }), slot({ slot: 'E2', files: [{ path: 'z.json', role: 'config', sha256: 'c'.repeat(64), size: 1 }, { path: 'model.onnx', role: 'model', sha256: 'b'.repeat(64), size: 10 }] })]);
    const text = serializeLockfile(l);
    const back = parseLockfile(text);
    expect(back.slots.map((s) => s.slot)).toEqual(['E2', 'E10']);
    expect(back.slots[0]?.files.map((f) => f.path)).toEqual(['model.onnx', 'z.json']);
    expect(serializeLockfile(back)).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('refuse with EMB-E150 naming the problem: a branch, a newer version, duplicates, unknown keys, not JSON', () => {
    const code = (input: unknown): string => {
      try {
        parseLockfile(input);
        return 'accepted';
      } catch (e) {
        return `${(e as { code: string }).code} ${(e as Error).message}`;
      }
    };
    expect(code(lock([slot({ revision: 'main' })]))).toMatch(/^EMB-E150 .*slots\.0\.revision.*never a branch/);
    expect(code({ ...lock([]), lockfileVersion: 2 })).toMatch(/^EMB-E150 .*lockfileVersion 2/);
    expect(code(lock([slot({}), slot({})]))).toMatch(/^EMB-E150 .*listed twice/);
    expect(code(lock([slot({ alias: 'x' }), slot({ slot: 'E2', alias: 'x' })]))).toMatch(/^EMB-E150 .*same alias/);
    expect(code({ ...lock([]), token: 'hf_x' })).toMatch(/^EMB-E150/);
    expect(code(lock([slot({ files: [{ path: '../etc/passwd', role: 'model', sha256: 'b'.repeat(64), size: 1 }] })]))).toMatch(/^EMB-E150 .*files\.0\.path/);
    expect(code('{not json')).toMatch(/^EMB-E150 .*not valid JSON/);
    expect(code(serializeLockfile(lock([slot({})])))).toBe('accepted');
  });
});

describe('export names and resources', () => {
  it('model names are DNS-1123 labels from the slot and its alias', () => {
    expect(exportBaseName('E1', 'bge.small_en')).toBe('e1-bge-small-en');
    expect(exportBaseName('E13', null)).toBe('e13');
    expect(exportBaseName('E2', 'x'.repeat(64)).length).toBeLessThanOrEqual(40);
    expect(dnsLabel('My Repo/')).toBe('my-repo');
    expect(dnsLabel('9lives')).toBe('m-9lives');
    expect(dnsLabel('---')).toBe('modelbay');
  });

  it('GPU resources: nvidia.com/gpu per whole GPU, nvidia.com/mig-<profile> per MIG instance; none for CPU', () => {
    const slots = [
      slot({ device: 'cuda:0' }), slot({ slot: 'E2', device: 'cuda:0' }), slot({ slot: 'E3', device: 'cuda:1' }),
      slot({ slot: 'E4', device: 'cuda:2/mig:1g.10gb:a1b2c3d4' }), slot({ slot: 'E5', device: 'cuda:2/mig:1g.10gb:ffee0011' }), slot({ slot: 'E6', device: 'cpu' }),
    ];
    expect(gpuResources(slots)).toEqual({ 'nvidia.com/gpu': '2', 'nvidia.com/mig-1g.10gb': '2' });
    expect(gpuResources([slot({})])).toEqual({});
    const isvc = inferenceService('lab', 'pvc://claim/lab', slots) as { spec: { predictor: { model: { resources: unknown } } } };
    expect(isvc.spec.predictor.model.resources).toEqual({ limits: { 'nvidia.com/gpu': '2', 'nvidia.com/mig-1g.10gb': '2' }, requests: { 'nvidia.com/gpu': '2', 'nvidia.com/mig-1g.10gb': '2' } });
  });

  it('protobuf text: strings escaped, enums bare, lists, nested and repeated messages', () => {
    const text = toPbtxt([
      ['name', 'a"b\\c\n'],
      ['max_batch_size', 8],
      ['input', { msgs: [[['name', 'x'], ['data_type', pbEnum('TYPE_INT64')], ['dims', [-1]]]] }],
      ['dynamic_batching', { msg: [] }],
    ]);
    expect(text).toBe('name: "a\\"b\\\\c\\n"\nmax_batch_size: 8\ninput [\n  {\n    name: "x"\n    data_type: TYPE_INT64\n    dims: [ -1 ]\n  }\n]\ndynamic_batching {\n}\n');
    expect(() => pbEnum('lower')).toThrow();
  });
});
