/** MIG instances from `nvidia-smi -L` and `-q`, over every capture (the MIG one and all the others), and the device ids they become. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../../../src/shared/values/bytes.js';
import { DEVICE_ID_PATTERN, deviceLabel, migDeviceId, parseDeviceId } from '../../../../src/shared/devices/devices.js';
import { joinMigInstances, parseMigList, parseMigQuery } from '../../../../src/main/core/gpu/nvidia-smi-mig.js';
import { DeviceIdSchema } from '../../../../src/shared/settings/settings.js';
import { isDeviceId } from '../../../../src/shared/slots/state.js';

const CAPTURES = join(import.meta.dirname, '../../../../src/devkit/nvidia-smi/captures');
const MIG = 'linux-x86_64__nvidia-h100-mig__590.48.01.txt';

/** The raw text of section `# <name>` in a capture. */
function section(file: string, name: string): string {
  const lines = readFileSync(join(CAPTURES, file), 'utf8').split(/\r?\n/);
  let i = lines.findIndex((l) => l.startsWith(`# ${name}`));
  if (i < 0) throw new Error(`${file} has no section ${name}`);
  while (!lines[i]?.startsWith('#####')) i++;
  const body: string[] = [];
  for (i++; i < lines.length && !lines[i]?.startsWith('#####'); i++) body.push(lines[i] ?? '');
  return body.join('\n');
}

describe('MIG instances in every capture', () => {
  const files = readdirSync(CAPTURES).filter((f) => f.endsWith('.txt')).sort();

  it('has the eight captures', () => {
    expect(files).toHaveLength(8);
  });

  for (const file of files) {
    it(`${file}: -L names the GPU${file === MIG ? ' and its 4 instances' : ', no instances'}; -q agrees`, () => {
      const list = parseMigList(section(file, 'capabilities :: list (-L)'));
      expect(list).not.toBeNull();
      for (const state of ['idle', 'load'] as const) {
        const query = parseMigQuery(section(file, `${state} :: query (-q)`));
        expect(query).not.toBeNull();
        const instances = joinMigInstances(list ?? [], query);
        if (file !== MIG) {
          expect(instances).toEqual([]);
          expect(query).toEqual([]);
          continue;
        }
        expect(instances.map((i) => [i.index, i.profile, i.gpuInstanceId, i.computeInstanceId, i.uuid])).toEqual([
          [0, '3g.40gb', 2, 0, 'MIG-00000000-0000-0000-0000-000000000000'],
          [1, '2g.20gb', 3, 0, 'MIG-00000001-0000-0000-0000-000000000001'],
          [2, '1g.10gb', 9, 0, 'MIG-00000002-0000-0000-0000-000000000002'],
          [3, '1g.10gb', 10, 0, 'MIG-00000003-0000-0000-0000-000000000003'],
        ]);
        expect(instances.map((i) => i.memoryTotalBytes)).toEqual([40448, 20096, 9984, 9984].map((m) => m * MiB));
        expect(instances[0]?.memoryUsedBytes).toBe((state === 'idle' ? 26 : 11091) * MiB);
        // total = reserved + used + free (± 1 MiB of rounding), the instance's own memory, not BAR1.
        for (const i of instances) {
          const sum = (i.memoryReservedBytes ?? 0) + (i.memoryUsedBytes ?? 0) + (i.memoryFreeBytes ?? 0);
          expect(Math.abs(sum - (i.memoryTotalBytes ?? 0))).toBeLessThanOrEqual(MiB);
        }
      }
    });
  }
});

describe('MIG parsing of unseen output', () => {
  it('reads garbage as unknown, and N/A memory as null', () => {
    expect(parseMigList('\u0000garbage')).toBeNull();
    expect(parseMigQuery('NVIDIA-SMI has failed')).toBeNull();
    const q = parseMigQuery(['GPU 00000000:3B:00.0', '    MIG Device', '        Index : 1', '        GPU Instance ID : N/A', '        FB Memory Usage',
      '            Total : 19968 MiB', '            Used : N/A', '    GPU UUID : GPU-aaaa'].join('\r\n'));
    expect(q).toEqual([{ gpuUuid: 'GPU-aaaa', index: 1, gpuInstanceId: null, computeInstanceId: null, memoryTotalBytes: 19968 * MiB, memoryReservedBytes: null, memoryUsedBytes: null, memoryFreeBytes: null }]);
  });

  it('reads compute-instance profiles and several GPUs', () => {
    const list = parseMigList([
      'GPU 0: NVIDIA H200 (UUID: GPU-1111)',
      '  MIG 1c.3g.71gb  Device  0: (UUID: MIG-9f3c2a10-aaaa-bbbb-cccc-000000000000)',
      'GPU 1: NVIDIA H200 (UUID: GPU-2222)',
      '  MIG 7g.141gb    Device  0: (UUID: MIG-GPU-2222/1/0)',
    ].join('\n'));
    expect(list?.map((l) => [l.gpuIndex, l.profile, l.uuid])).toEqual([[0, '1c.3g.71gb', 'MIG-9f3c2a10-aaaa-bbbb-cccc-000000000000'], [1, '7g.141gb', 'MIG-GPU-2222/1/0']]);
  });
});

describe('device ids: one rule', () => {
  it('names a MIG instance by GPU, profile and UUID, and the rule accepts it everywhere', () => {
    const id = migDeviceId({ gpuIndex: 0, profile: '3g.71gb', uuid: 'MIG-9F3C2A10-aaaa-bbbb-cccc-000000000000' });
    expect(id).toBe('cuda:0/mig:3g.71gb:9f3c2a10');
    // Old drivers' UUIDs share the GPU's digits: the GI/CI ids keep ids apart.
    expect(migDeviceId({ gpuIndex: 1, profile: '1g.18gb', uuid: 'MIG-GPU-e91edf3b-b297-37c1-a2a7-7601c3238fa2/3/0' })).toBe('cuda:1/mig:1g.18gb:e91edf3b-3-0');
    for (const ok of ['cpu', 'cuda:0', 'cuda:12', id, 'cuda:1/mig:1c.3g.71gb:e91edf3b-3-0', 'cuda:0/mig:1g.10gb+me:00000002']) {
      expect(DEVICE_ID_PATTERN.test(ok)).toBe(true);
      expect(isDeviceId(ok)).toBe(true);
      expect(DeviceIdSchema.safeParse(ok).success).toBe(true);
    }
    for (const bad of ['gpu', 'cuda:', 'cuda:123', 'cuda:0/mig:', 'cuda:0/mig:3g:', 'cuda:0/mig:3g.40gb:x y', 'mig:abc', 'cuda:0/mig:3G.40GB:ABCD']) {
      expect(isDeviceId(bad)).toBe(false);
      expect(DeviceIdSchema.safeParse(bad).success).toBe(false);
    }
    expect(parseDeviceId(id)).toEqual({ kind: 'mig', gpuIndex: 0, profile: '3g.71gb', key: '9f3c2a10' });
    expect(deviceLabel(id)).toBe('GPU 0 · MIG 3g.71gb');
  });
});
