/**
 * MIG layouts beyond the one capture: the profile grammar of NVIDIA's MIG user guide
 * (`<G>g.<M>gb`, `<C>c.<G>g.<M>gb`, media-extension suffixes), compute instances that share
 * their GPU instance's memory (one budget, counted once), and several GPUs mixing MIG and
 * plain ones. The layouts are hand-written fixtures in test/fixtures/nvidia-smi/layouts,
 * replayed by the fake nvidia-smi.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GiB, MiB } from '../../../../src/shared/values/bytes.js';
import { DEVICE_ID_PATTERN, migDeviceId, migMemoryGroup, parseMigProfile } from '../../../../src/shared/devices/devices.js';
import type { GpuSample } from '../../../../src/shared/devices/gpu.js';
import { applyGpuSample, GpuMonitor, gpuDevices, memoryGroupOf } from '../../../../src/main/core/gpu/index.js';
import { joinMigInstances, parseMigList, parseMigQuery, profileMemoryBytes } from '../../../../src/main/core/gpu/nvidia-smi-mig.js';
import { SlotManager } from '../../../../src/main/core/slots/slot-manager.js';

const FAKE = join(import.meta.dirname, '../../../../src/devkit/nvidia-smi/bin/nvidia-smi');
const LAYOUTS = join(import.meta.dirname, '../../../fixtures/nvidia-smi/layouts');
const H200 = join(LAYOUTS, 'h200-mig-compute-instances.txt');
const MIXED = join(LAYOUTS, 'two-gpus-mixed.txt');

/** The raw text of section `# <name>` in a layout file. */
function section(file: string, name: string): string {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  let i = lines.findIndex((l) => l.startsWith(`# ${name}`));
  while (!lines[i]?.startsWith('#####')) i++;
  const body: string[] = [];
  for (i++; i < lines.length && !lines[i]?.startsWith('#####'); i++) body.push(lines[i] ?? '');
  return body.join('\n');
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** The first sample in which every MIG GPU has its instances (with GI ids from -q). */
async function sampleOf(capture: string, migDevices: number): Promise<GpuSample> {
  const monitor = new GpuMonitor({ nvidiaSmi: FAKE, intervalMs: 100, processIntervalMs: 100, stallMs: 5000, env: { ...process.env, FAKE_NVIDIA_SMI_CAPTURE: capture } });
  cleanup.push(() => monitor.stop());
  const got = new Promise<GpuSample>((resolve) => monitor.on((s) => {
    const instances = s.gpus.flatMap((g) => g.migInstances ?? []);
    if (s.available && instances.length === migDevices && instances.every((i) => i.gpuInstanceId !== null)) resolve(s);
  }));
  await monitor.start();
  return got;
}

describe('MIG profile names (the MIG user guide grammar)', () => {
  it('reads GPU-instance, compute-instance and media-extension profiles', () => {
    expect(parseMigProfile('3g.40gb')).toEqual({ computeSlices: null, gpuSlices: 3, memoryGb: 40, extensions: [], gpuInstanceProfile: '3g.40gb' });
    expect(parseMigProfile('1c.3g.71gb')).toEqual({ computeSlices: 1, gpuSlices: 3, memoryGb: 71, extensions: [], gpuInstanceProfile: '3g.71gb' });
    expect(parseMigProfile('2c.7g.141gb')?.gpuInstanceProfile).toBe('7g.141gb');
    expect(parseMigProfile('1g.18gb+me')).toEqual({ computeSlices: null, gpuSlices: 1, memoryGb: 18, extensions: ['+me'], gpuInstanceProfile: '1g.18gb+me' });
    expect(parseMigProfile('1g.24gb+me.all')?.extensions).toEqual(['+me.all']);
    expect(parseMigProfile('1g.23gb-me')?.extensions).toEqual(['-me']);
    expect(parseMigProfile('1g.24gb+gfx')?.extensions).toEqual(['+gfx']);
    expect(parseMigProfile('1c.2g.35gb+me')?.gpuInstanceProfile).toBe('2g.35gb+me');
    expect(parseMigProfile('1g.5gb')?.memoryGb).toBe(5);
    for (const bad of ['', '3g', 'g.40gb', '1c.gb', '3g.40gb+', '3g.40', 'MIG', '1c.1c.3g.40gb', null]) expect(parseMigProfile(bad)).toBeNull();
    expect(profileMemoryBytes('1c.3g.71gb')).toBe(71e9);
    expect(profileMemoryBytes('1g.18gb+me')).toBe(18e9);
    expect(profileMemoryBytes('weird')).toBeNull();
  });

  it('gives every profile a device id the one rule accepts, distinct per instance', () => {
    const ids = ['1c.3g.71gb', '2c.3g.71gb', '1g.18gb+me', '1g.23gb-me', '1g.24gb+me.all', '7g.141gb'].map((profile, n) => migDeviceId({ gpuIndex: 0, profile, uuid: `MIG-${String(n).repeat(8)}-aaaa-bbbb-cccc-000000000000` }));
    for (const id of ids) expect(DEVICE_ID_PATTERN.test(id)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[3]).toBe('cuda:0/mig:1g.23gb-me:33333333');
  });
});

describe('an H200 with compute instances (hand-written layout)', () => {
  it('lists all five MIG devices with their own UUIDs, GI/CI ids and shared memory', () => {
    const list = parseMigList(section(H200, 'capabilities :: list (-L)'));
    const query = parseMigQuery(section(H200, 'load :: query (-q)'));
    const instances = joinMigInstances(list ?? [], query);
    expect(instances.map((i) => [i.index, i.profile, i.gpuInstanceId, i.computeInstanceId])).toEqual([
      [0, '1c.3g.71gb', 1, 0], [1, '2c.3g.71gb', 1, 1], [2, '1g.18gb+me', 9, 0], [3, '1g.18gb', 10, 0], [4, '1g.18gb', 11, 0],
    ]);
    expect(new Set(instances.map((i) => i.uuid)).size).toBe(5);
    expect(new Set(instances.map(migDeviceId)).size).toBe(5);
    // The two compute instances of GPU instance 1 draw from one memory; the others each from their own.
    expect(instances.map(migMemoryGroup)).toEqual(['cuda:0/gi:1', 'cuda:0/gi:1', 'cuda:0/gi:9', 'cuda:0/gi:10', 'cuda:0/gi:11']);
    expect(instances[0]?.memoryTotalBytes).toBe(71680 * MiB);
    expect(instances[1]?.memoryUsedBytes).toBe(9000 * MiB);
  });

  it('groups compute instances by their GPU-instance profile while -q has not answered', () => {
    const instances = joinMigInstances(parseMigList(section(H200, 'capabilities :: list (-L)')) ?? [], null);
    expect(instances.map(migMemoryGroup).slice(0, 3)).toEqual(['cuda:0/gi:3g.71gb', 'cuda:0/gi:3g.71gb', migDeviceId(instances[2] ?? { gpuIndex: 0, profile: null, uuid: '' })]);
  });

  it('reads -L lines however they are spaced, and keeps a device whose profile it does not know', () => {
    const list = parseMigList([
      'GPU 0: NVIDIA H200 (UUID: GPU-3e1a6c52-8d0f-4b7e-9a21-5c6d7e8f9012)',
      'MIG 1c.3g.71gb Device 0: (UUID: MIG-5c1e0a77-0b1d-5c31-9a55-1f4a0c2e9d10)',
      '\tMIG 2c.3g.71gb\tDevice\t1 : ( UUID: MIG-a03f9b12-6e44-5d0a-8c19-7b2d33e1f002 )\r',
      '  MIG 9q.weird     Device  2: (UUID: MIG-0d7c4e29-91b3-5f6e-b0a4-2c58e7f14a33)',
    ].join('\n'));
    expect(list?.map((l) => [l.index, l.profile, l.uuid.slice(0, 12)])).toEqual([[0, '1c.3g.71gb', 'MIG-5c1e0a77'], [1, '2c.3g.71gb', 'MIG-a03f9b12'], [2, '9q.weird', 'MIG-0d7c4e29']]);
  });

  it('becomes five placeable devices; the two compute instances share one budget, counted once, in placement and eviction', async () => {
    const sample = await sampleOf(H200, 5);
    const slots = new SlotManager();
    const added = applyGpuSample(slots, sample, () => 40 * GiB);
    expect(added).toEqual(gpuDevices(sample));
    expect(added).toHaveLength(5);
    const [ci1, ci2, me] = added as [string, string, string];
    expect(memoryGroupOf(sample, ci1).members).toEqual([ci1, ci2]);
    expect(slots.memoryGroup(ci2)).toEqual([ci1, ci2]);
    // One budget for the group: 40 GiB asked, the GPU instance has 70 GiB; a 1g.18gb has only its 16.5 GiB.
    expect(slots.pressure(ci1).budgetBytes).toBe(40 * GiB);
    expect(slots.pressure(me).budgetBytes).toBe(16896 * MiB);
    slots.reserve('E1', ci1, 30 * GiB);
    // Counted once: what E1 holds on the first compute instance is gone from the second too.
    expect(slots.available(ci2)).toBe(10 * GiB);
    expect(slots.pressure(ci2).allocatedBytes).toBe(30 * GiB);
    expect(slots.snapshot(ci2).sharedWith).toEqual([ci1]);
    expect(() => slots.reserve('E2', ci2, 20 * GiB)).toThrow(expect.objectContaining({ code: 'EMB-E003' }));
    // Eviction for the second compute instance picks the slot on the first: it frees the same memory.
    expect(slots.planRoom(ci2, 20 * GiB, { slot: 'E2' }).victims).toEqual(['E1']);
    // Another GPU instance is untouched.
    expect(slots.available(me)).toBe(16896 * MiB - 10 * MiB);
    // A budget set on one compute instance is the group's.
    slots.setBudget(ci2, 50 * GiB);
    expect(slots.pressure(ci1).budgetBytes).toBe(50 * GiB);
  }, 120_000);
});

describe('two GPUs, one plain and one in MIG mode (hand-written layout)', () => {
  it('offers the plain GPU whole and the MIG GPU as its three compute instances, grouped by the old-style UUIDs', async () => {
    const sample = await sampleOf(MIXED, 3);
    expect(sample.gpus.map((g) => [g.index, g.name])).toEqual([[0, 'NVIDIA L40S'], [1, 'NVIDIA A100-SXM4-80GB']]);
    const devices = gpuDevices(sample);
    expect(devices).toEqual(['cuda:0', 'cuda:1/mig:1c.7g.80gb:6f2b8e11-0-0', 'cuda:1/mig:1c.7g.80gb:6f2b8e11-0-1', 'cuda:1/mig:5c.7g.80gb:6f2b8e11-0-2']);
    const slots = new SlotManager();
    applyGpuSample(slots, sample, () => 20 * GiB);
    expect(slots.memoryGroup('cuda:1/mig:5c.7g.80gb:6f2b8e11-0-2')).toHaveLength(3);
    expect(slots.memoryGroup('cuda:0')).toEqual(['cuda:0']);
    // Without -q, the old UUIDs alone say which GPU instance a compute instance is in.
    const bare = sample.gpus[1]?.migInstances?.map((i) => migMemoryGroup({ ...i, gpuInstanceId: null }));
    expect(bare).toEqual(['cuda:1/gi:0', 'cuda:1/gi:0', 'cuda:1/gi:0']);
  }, 120_000);
});
