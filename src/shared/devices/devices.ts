/**
 * The one rule for device ids, shared by settings, commands and the runtime:
 * `cpu`, `cuda:N` (a whole GPU), or `cuda:N/mig:<profile>:<key>` (a MIG instance of GPU N,
 * e.g. `cuda:0/mig:3g.40gb:a1b2c3d4`, where the key comes from the instance's MIG UUID).
 */
export const DEVICE_ID_PATTERN = /^(?:cpu|cuda:\d{1,2}(?:\/mig:[0-9a-z.+]{1,24}:[0-9a-z-]{4,40})?)$/;

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
  const profile = (instance.profile ?? 'mig').toLowerCase().replace(/[^0-9a-z.+]/g, '').slice(0, 24) || 'mig';
  const body = instance.uuid.replace(/^MIG-/i, '');
  const old = /^GPU-([0-9a-f-]+)\/(\d+)\/(\d+)$/i.exec(body);
  const hex = (old ? (old[1] ?? '') : body).replace(/[^0-9a-f]/gi, '').toLowerCase().slice(0, 8).padEnd(4, '0');
  return `cuda:${instance.gpuIndex}/mig:${profile}:${old ? `${hex}-${old[2]}-${old[3]}` : hex}`;
}
