/**
 * The one rule for device ids, shared by settings, commands and the runtime:
 * `cpu`, `cuda:N` (a whole GPU), or `cuda:N/mig:<profile>:<key>` (a MIG instance of GPU N,
 * e.g. `cuda:0/mig:3g.40gb:a1b2c3d4` or `cuda:0/mig:1c.3g.71gb:9f3c2a10`, where the key comes
 * from the instance's MIG UUID).
 */
export const DEVICE_ID_PATTERN = /^(?:cpu|cuda:\d{1,2}(?:\/mig:[0-9a-z.+-]{1,24}:[0-9a-z-]{4,40})?)$/;

export const DEVICE_ID_RULE = 'a device is "cpu", "cuda:N" or a MIG instance "cuda:N/mig:<profile>:<id>"';

export type ParsedDevice =
  | { kind: 'cpu' }
  | { kind: 'gpu'; gpuIndex: number }
  | { kind: 'mig'; gpuIndex: number; profile: string; key: string };

/** The parts of a device id; null when it breaks the rule. */
export function parseDeviceId(device: string): ParsedDevice | null {
  if (!DEVICE_ID_PATTERN.test(device)) return null;
  if (device === 'cpu') return { kind: 'cpu' };
  const m = /^cuda:(\d+)(?:\/mig:([^:]+):(.+))?$/.exec(device);
  if (!m) return null;
  const gpuIndex = Number(m[1]);
  return m[2] && m[3] ? { kind: 'mig', gpuIndex, profile: m[2], key: m[3] } : { kind: 'gpu', gpuIndex };
}

/** A short name for people: `GPU 0`, `GPU 0 · MIG 3g.40gb`, `CPU`. */
export function deviceLabel(device: string): string {
  const d = parseDeviceId(device);
  if (!d) return device;
  if (d.kind === 'cpu') return 'CPU';
  return d.kind === 'gpu' ? `GPU ${d.gpuIndex}` : `GPU ${d.gpuIndex} · MIG ${d.profile}`;
}

/**
 * The id of a MIG instance. The key is the first 8 hex digits of its MIG UUID (random per
 * instance); old drivers' `MIG-GPU-<gpu uuid>/<gi>/<ci>` UUIDs share their GPU's digits,
 * so their key adds the GPU- and compute-instance ids.
 */
export function migDeviceId(instance: { gpuIndex: number; profile: string | null; uuid: string }): string {
  const profile = (instance.profile ?? 'mig').toLowerCase().replace(/[^0-9a-z.+-]/g, '').slice(0, 24) || 'mig';
  const body = instance.uuid.replace(/^MIG-/i, '');
  const old = /^GPU-([0-9a-f-]+)\/(\d+)\/(\d+)$/i.exec(body);
  const hex = (old ? (old[1] ?? '') : body).replace(/[^0-9a-f]/gi, '').toLowerCase().slice(0, 8).padEnd(4, '0');
  return `cuda:${instance.gpuIndex}/mig:${profile}:${old ? `${hex}-${old[2]}-${old[3]}` : hex}`;
}

/**
 * A MIG profile name, as NVIDIA's MIG user guide writes it: `<G>g.<M>gb` for a GPU
 * instance (G compute slices, M GB of memory), `<C>c.<G>g.<M>gb` for a compute instance
 * that uses C of its GPU instance's G slices (several such share the GPU instance's
 * memory), and suffixes for the media engines: `+me` (with them), `-me` (without),
 * `+me.all`, `+gfx`, and whatever `+x`/`-x` a later GPU adds.
 */
export interface MigProfile {
  /** Compute slices of the compute instance; null when the name has no `<C>c.` part (one CI using the whole GI). */
  computeSlices: number | null;
  gpuSlices: number;
  memoryGb: number;
  /** e.g. ['+me'], ['+me.all'], ['-me'], ['+gfx']; empty for a plain profile. */
  extensions: string[];
  /** The GPU instance's own profile: the name without its `<C>c.` part (`1c.3g.71gb` → `3g.71gb`). */
  gpuInstanceProfile: string;
}

const PROFILE = /^(?:(\d+)c\.)?(\d+)g\.(\d+(?:\.\d+)?)gb((?:[+-][a-z][a-z0-9]*(?:\.[a-z0-9]+)*)*)$/i;

/** The parts of a MIG profile name; null when it does not follow the grammar. */
export function parseMigProfile(name: string | null): MigProfile | null {
  const m = PROFILE.exec((name ?? '').trim());
  if (!m) return null;
  const extensions = (m[4] ?? '').match(/[+-][a-z][a-z0-9]*(?:\.[a-z0-9]+)*/gi) ?? [];
  return {
    computeSlices: m[1] === undefined ? null : Number(m[1]),
    gpuSlices: Number(m[2]),
    memoryGb: Number(m[3]),
    extensions: extensions.map((e) => e.toLowerCase()),
    gpuInstanceProfile: `${m[2]}g.${m[3]}gb${extensions.join('')}`.toLowerCase(),
  };
}

/**
 * The memory a MIG device draws from. Compute instances of one GPU instance share its
 * memory: their key is the GPU instance's, `cuda:N/gi:<id>`, from its id (nvidia-smi -q, or
 * an old driver's `MIG-GPU-…/<gi>/<ci>` UUID). While the id is unknown, a compute instance
 * (`<C>c.<G>g.<M>gb`) is grouped with every compute instance of the same GPU-instance
 * profile on its GPU, so shared memory is never counted twice (at worst, two GPU instances
 * of that profile are counted as one until -q answers); any other device is its own.
 */
export function migMemoryGroup(instance: { gpuIndex: number; profile: string | null; uuid: string; gpuInstanceId: number | null }): string {
  const old = /^MIG-GPU-[0-9a-f-]+\/(\d+)\/\d+$/i.exec(instance.uuid);
  const gi = instance.gpuInstanceId ?? (old ? Number(old[1]) : null);
  if (gi !== null) return `cuda:${instance.gpuIndex}/gi:${gi}`;
  const p = parseMigProfile(instance.profile);
  if (p && p.computeSlices !== null) return `cuda:${instance.gpuIndex}/gi:${p.gpuInstanceProfile}`;
  return migDeviceId(instance);
}
