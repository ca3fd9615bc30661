/**
 * `export triton|kserve DIR`: a Triton model repository of locked slots, with its own
 * lockfile and a README saying how to run it, plus, for KServe, an InferenceService that
 * serves the repository with the Triton runtime. Written into a new or empty folder only;
 * a failure removes what was written, so a half repository is never left behind.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ModelbayError } from '../../../shared/errors/errors.js';
import { count } from '../../../shared/values/counts.js';
import { parseDeviceId } from '../../../shared/devices/devices.js';
import type { ExportResult, LockedSlot, Lockfile } from '../../../shared/layouts/layouts.js';
import type { ServingKind } from '../../../shared/slots/serving.js';
import type { HubCacheLayout } from '../artifacts/cache/hf-cache-layout.js';
import { serializeLockfile } from '../../../shared/layouts/layouts.js';
import { dnsLabel, exportBaseName } from './model-names.js';
import { EXPORT_MAX_BATCH, exportTritonSlot, type WrittenFiles } from './triton-export.js';
import { exportReadme } from './export-readme.js';

export const DEFAULT_PVC = 'modelbay-models';
const STORAGE_URI_RE = /^(?:s3|gs|pvc|hf|oci|https?):\/\/[^\s"']{1,2000}$/;

export interface ExportOptions {
  target: 'triton' | 'kserve';
  dir: string;
  /** KServe: where the cluster finds the repository; default `pvc://modelbay-models/<folder name>`. */
  storageUri?: string;
  lock: Lockfile;
  kindOf: (slot: LockedSlot) => ServingKind;
  layout: HubCacheLayout;
}

/** The folder must be new or empty: an export never overwrites files it did not write. */
async function prepareDir(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => null);
  if (st && !st.isDirectory()) throw new ModelbayError('EMB-E152', `${dir} is a file, not a folder: choose a new or empty folder.`, { dir });
  if (st) {
    const entries = await readdir(dir);
    if (entries.length > 0) throw new ModelbayError('EMB-E152', `${dir} is not empty (${count(entries.length, 'entry', 'entries')}): export into a new or empty folder.`, { dir, entries: entries.slice(0, 10) });
  }
  await mkdir(dir, { recursive: true });
}

/**
 * The GPU index Triton sees per slot. On the workstation that is the GPU's own index; in a
 * KServe pod only the granted devices are visible, numbered from 0 in the order the
 * resources list them (whole GPUs, then MIG instances).
 */
function gpuIndexes(slots: LockedSlot[], target: ExportOptions['target']): Map<string, number | null> {
  const out = new Map<string, number | null>();
  const devices = [...new Set(slots.map((s) => s.device))];
  if (target === 'triton') {
    for (const d of devices) {
      const p = parseDeviceId(d);
      out.set(d, p === null || p.kind === 'cpu' ? null : p.gpuIndex);
    }
    return out;
  }
  const gpus = devices.filter((d) => parseDeviceId(d)?.kind === 'gpu').sort();
  const migs = devices.filter((d) => parseDeviceId(d)?.kind === 'mig').sort();
  [...gpus, ...migs].forEach((d, i) => out.set(d, i));
  for (const d of devices) if (!out.has(d)) out.set(d, null);
  return out;
}

/** Kubernetes resources for the devices the slots use: `nvidia.com/gpu` per GPU, `nvidia.com/mig-<profile>` per MIG instance. */
export function gpuResources(slots: LockedSlot[]): Record<string, string> {
  const counts = new Map<string, number>();
  for (const d of new Set(slots.map((s) => s.device))) {
    const p = parseDeviceId(d);
    if (p === null || p.kind === 'cpu') continue;
    const key = p.kind === 'gpu' ? 'nvidia.com/gpu' : `nvidia.com/mig-${p.profile}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => [k, String(n)]));
}

export function inferenceService(name: string, storageUri: string, slots: LockedSlot[]): Record<string, unknown> {
  const gpus = gpuResources(slots);
  const model: Record<string, unknown> = { modelFormat: { name: 'triton' }, protocolVersion: 'v2', storageUri };
  if (Object.keys(gpus).length > 0) model['resources'] = { limits: gpus, requests: gpus };
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, annotations: { 'modelbay.io/slots': slots.map((s) => s.slot).join(',') } },
    spec: { predictor: { model } },
  };
}

export async function writeExport(o: ExportOptions): Promise<ExportResult> {
  // Relative to what? The server's folder is not the user's: the CLI resolves against the user's.
  if (!isAbsolute(o.dir)) throw new ModelbayError('EMB-E002', `The export folder must be an absolute path; got ${JSON.stringify(o.dir.slice(0, 200))}.`, { dir: o.dir.slice(0, 200) });
  const dir = resolve(o.dir);
  if (o.lock.slots.length === 0) throw new ModelbayError('EMB-E151', 'There is no slot to export: lock or download some slots first.', {});
  if (o.storageUri !== undefined && !STORAGE_URI_RE.test(o.storageUri)) {
    throw new ModelbayError('EMB-E002', `--storage-uri must be a URI KServe reads (s3://, gs://, pvc://, hf://, oci://, https://); got ${JSON.stringify(o.storageUri.slice(0, 200))}.`, { storageUri: o.storageUri.slice(0, 200) });
  }
  await prepareDir(dir);
  const out: WrittenFiles = { files: [], linked: 0, copied: 0 };
  try {
    const indexes = gpuIndexes(o.lock.slots, o.target);
    const names = new Set<string>();
    const models: ExportResult['models'] = [];
    for (const s of o.lock.slots) {
      let name = exportBaseName(s.slot, s.alias);
      if (names.has(name)) name = exportBaseName(s.slot, null);
      names.add(name);
      models.push(await exportTritonSlot({ lock: s, name, kind: o.kindOf(s), gpu: indexes.get(s.device) ?? null }, o.layout, dir, out));
    }
    const folder = dnsLabel(basename(dir));
    const storageUri = o.storageUri ?? `pvc://${DEFAULT_PVC}/${folder}`;
    const write = async (file: string, text: string): Promise<void> => {
      await writeFile(join(dir, file), text, { flag: 'wx' });
      out.files.push(file);
    };
    await write('modelbay.lock.json', serializeLockfile(o.lock));
    if (o.target === 'kserve') await write('inferenceservice.yaml', stringify(inferenceService(folder, storageUri, o.lock.slots)));
    await write('README.md', exportReadme({ target: o.target, folder, storageUri, lock: o.lock, models, maxBatch: EXPORT_MAX_BATCH, gpuResources: gpuResources(o.lock.slots) }));
    return { target: o.target, dir, models, files: out.files.sort(), linked: out.linked, copied: out.copied };
  } catch (e) {
    // The folder was new or empty: take it back to that.
    for (const entry of await readdir(dir).catch(() => [])) await rm(join(dir, entry), { recursive: true, force: true });
    throw e;
  }
}
