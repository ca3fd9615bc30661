/**
 * The registry's SessionFactory backed by onnxruntime in session hosts: resolves the
 * slot's files, picks the execution provider for the device, loads through the device's
 * host, measures what the load really took, and hands back an OnnxModelSession.
 */
import { stat } from 'node:fs/promises';
import { formatBytes } from '../../../shared/values/bytes.js';
import { DEVICE_ID_RULE, parseDeviceId } from '../../../shared/devices/devices.js';
import { ModelbayError, toModelbayError } from '../../../shared/errors/errors.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import type { DeviceId } from '../../../shared/slots/state.js';
import type { LoadRequest, ModelSession, SessionFactory } from '../registry/types.js';
import { cudaMemoryLimit } from './cuda-options.js';
import type { HostLease, HostPool } from './host-pool.js';
import { isEmbedInput, type EmbedInput, type EmbedOutput, type EmbedResult, type HostLoadOptions, type LoadResult, type PoolingMode, type ServeResult } from './protocol.js';
import type { ServeRoute } from '../../../shared/serving/serving-requests.js';

/** A slot's files on disk, as the artifact manager resolves them. */
export interface SlotFiles {
  model: string;
  externalData: string[];
  tokenizer: string | null;
  pooling: PoolingMode | null;
  dims: number | null;
}

export type SlotFileResolver = (slot: SlotId, signal: AbortSignal) => Promise<SlotFiles>;

/** The host process's own GPU memory (nvidia-smi, per process); null when unknown. */
export type ProcessGpuMemoryReader = (pid: number, device: DeviceId) => Promise<number | null>;

export interface OnnxSessionFactoryOptions {
  pool: HostPool;
  resolve: SlotFileResolver;
  /** Refuse CPU placement (production "no CPU fallback"); read at each load so settings apply live. */
  strictGpu?: boolean | (() => boolean);
  loadOptions?: HostLoadOptions;
  /** Reads the host's per-process GPU memory; without it GPU sessions keep their estimate. */
  gpuMemory?: ProcessGpuMemoryReader;
}

/** A serving request for a session host: the route, the model name the answer carries, the body's bytes. */
export interface ServeCall {
  route: ServeRoute;
  model: string;
  body: Uint8Array;
  inputs: number;
}

/** Embeddings of one call: `count` vectors of `dims` floats, or token-level vectors when `lengths` is set. */
export type Embeddings = EmbedResult;

/** Views of each text's vector (pooled) or [tokens × dims] block (token-level) without copying. */
export function splitEmbeddings(e: Embeddings): Float32Array[] {
  const out: Float32Array[] = [];
  let offset = 0;
  for (let i = 0; i < e.count; i++) {
    const n = (e.lengths ? (e.lengths[i] ?? 0) : 1) * e.dims;
    out.push(e.data.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}

/**
 * The provider and CUDA device index for a device id. A MIG instance's host runs with
 * CUDA_VISIBLE_DEVICES=<its MIG UUID> (see HostPool's deviceEnv), so CUDA sees it as device 0.
 */
export function parseDevice(device: DeviceId): { provider: 'cuda' | 'cpu'; deviceId: number } {
  const d = parseDeviceId(device);
  if (!d) throw new ModelbayError('EMB-E008', `Unknown device ${JSON.stringify(device)}: ${DEVICE_ID_RULE}.`, { device });
  if (d.kind === 'cpu') return { provider: 'cpu', deviceId: 0 };
  return { provider: 'cuda', deviceId: d.kind === 'mig' ? 0 : d.gpuIndex };
}

export class OnnxModelSession implements ModelSession {
  private lostError: ModelbayError | null = null;
  private released = false;
  private waiting = 0;

  constructor(
    readonly slot: SlotId,
    readonly device: DeviceId,
    readonly key: string,
    private readonly lease: HostLease,
    readonly load: LoadResult,
    /** Bytes estimated before the load from the files' sizes. */
    readonly estimateBytes: number,
    /** Bytes measured after load + warm-up; null when unknown (the estimate stays charged). */
    readonly measuredBytes: number | null,
    readonly files: SlotFiles,
  ) {}

  get pid(): number {
    return this.load.pid;
  }

  get alive(): boolean {
    return !this.released && this.lostError === null;
  }

  /** Inputs sent to the host and not answered yet: the slot's serving queue. */
  get queueDepth(): number {
    return this.waiting;
  }

  /** Embeddings of `texts` (or token-id arrays), L2-normalised, in the order given; `sparse` gives SPLADE term weights. */
  async embed(texts: ReadonlyArray<EmbedInput>, output: EmbedOutput = 'pooled'): Promise<Embeddings> {
    // Callers may come from IPC or HTTP: check the shape, not just the type.
    const list = Array.from(texts as Iterable<unknown>);
    if (list.length === 0 || !list.every(isEmbedInput)) {
      throw new ModelbayError('EMB-E002', 'embed() needs a non-empty list of strings (or of token-id arrays).', { slot: this.slot });
    }
    if (this.lostError) throw this.lostError;
    if (this.released) throw new ModelbayError('EMB-E005', `${this.slot} was unloaded.`, { slot: this.slot });
    this.waiting += list.length;
    try {
      return await this.lease.host.request('embed', { session: this.key, texts: list, ...(output === 'pooled' ? {} : { output }) });
    } catch (e) {
      throw e instanceof ModelbayError ? namedLimitError(e, this.slot, this.device, null) : e;
    } finally {
      this.waiting -= list.length;
    }
  }

  /**
   * A serving request's body, answered by the host with the response body (see the
   * protocol's `serve`). `inputs`: how many it holds, as main counted them, for the queue depth.
   */
  async serve(call: ServeCall): Promise<ServeResult> {
    if (this.lostError) throw this.lostError;
    if (this.released) throw new ModelbayError('EMB-E005', `${this.slot} was unloaded.`, { slot: this.slot });
    this.waiting += call.inputs;
    try {
      return await this.lease.host.request('serve', { session: this.key, slot: this.slot, route: call.route, model: call.model, body: call.body });
    } catch (e) {
      throw e instanceof ModelbayError ? namedLimitError(e, this.slot, this.device, null) : e;
    } finally {
      this.waiting -= call.inputs;
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      if (this.lostError === null && this.lease.host.alive) await this.lease.host.request('unload', { session: this.key });
    } catch {
      // The host died meanwhile: its memory went with it.
    } finally {
      await this.lease.close(this.key);
    }
  }

  /** Called by the pool when the host died. */
  markLost(error: ModelbayError): void {
    this.lostError = error;
  }
}

let sessionCounter = 0;

export class OnnxSessionFactory implements SessionFactory<OnnxModelSession> {
  constructor(private readonly options: OnnxSessionFactoryOptions) {}

  async create(request: LoadRequest): Promise<OnnxModelSession> {
    const { slot, device, signal } = request;
    const { provider, deviceId } = parseDevice(device);
    const strict = typeof this.options.strictGpu === 'function' ? this.options.strictGpu() : (this.options.strictGpu ?? false);
    if (provider === 'cpu' && strict) {
      throw new ModelbayError('EMB-E204', `${slot} is placed on the CPU, but strict GPU mode refuses CPU placement: move it to a GPU, or turn strict GPU mode off in the settings.`, { slot, device });
    }
    const files = await this.options.resolve(slot, signal);
    signal.throwIfAborted();
    const fileBytes = await totalBytes([files.model, ...files.externalData]);
    // The registry's one estimate (reserved before this call), not a second computation.
    const estimate = request.estimateBytes;
    const lease = await this.options.pool.acquire(device);
    const key = `${slot}#${++sessionCounter}`;
    // The reservation with headroom: what this session may take on its GPU (cuda-options.ts).
    const limit = provider === 'cuda' ? cudaMemoryLimit(estimate) : null;
    let loaded: LoadResult | null = null;
    let session: OnnxModelSession | null = null;
    try {
      const before = provider === 'cuda' ? await this.readGpu(lease, device) : null;
      loaded = await lease.host.request('load', {
        session: key,
        model: files.model,
        externalData: files.externalData,
        tokenizer: files.tokenizer,
        pooling: files.pooling,
        dims: files.dims,
        provider,
        deviceId,
        memoryLimitBytes: limit,
        options: this.options.loadOptions ?? {},
      });
      let measured: number | null;
      if (provider === 'cuda') {
        const after = await this.readGpu(lease, device);
        // The first session of a host is charged its CUDA context too, as in the estimate.
        measured = after === null ? null : Math.max(0, after - (before ?? 0));
      } else {
        // RSS growth under-counts when the host reuses memory a released session gave
        // back to its allocator (seen: 0 B for a 31 MB model after an eviction), yet the
        // weights are resident either way: never charge less than them.
        measured = Math.max(fileBytes, loaded.rssAfterBytes - loaded.rssBeforeBytes);
      }
      if (limit !== null && measured !== null && measured > limit) {
        throw new ModelbayError('EMB-E310', `${slot} took ${formatBytes(measured)} on ${device} after loading and warming up, over its limit of ${formatBytes(limit)} (its reservation of ${formatBytes(estimate)} with headroom): raise the device budget or move the slot to a larger device.`, { slot, device, limitBytes: limit, measuredBytes: measured });
      }
      const opened = new OnnxModelSession(slot, device, key, lease, loaded, estimate, measured, files);
      session = opened;
      lease.open(key, slot, (error) => opened.markLost(error));
      if (!lease.host.alive) {
        // Died between its reply and now: the pool's crash report could not name this session.
        throw new ModelbayError('EMB-E203', `The session host for ${device} ended right after loading ${slot}.`, { slot, device });
      }
      if (signal.aborted) throw new ModelbayError('EMB-E006', `Loading ${slot} was cancelled.`, { slot });
      return opened;
    } catch (e) {
      // Whatever got loaded is given back; the lease ends (and an idle host with it).
      if (session) {
        await session.release();
      } else {
        if (loaded !== null) await lease.host.request('unload', { session: key }).catch(() => undefined);
        await lease.close();
      }
      throw namedLimitError(toModelbayError(e, 'EMB-E006'), slot, device, limit);
    }
  }

  private async readGpu(lease: HostLease, device: DeviceId): Promise<number | null> {
    const pid = lease.host.pid;
    if (!this.options.gpuMemory || pid === null) return null;
    try {
      return await this.options.gpuMemory(pid, device);
    } catch {
      return null;
    }
  }
}

/** A host's EMB-E310 (onnxruntime out of GPU memory) with the slot and its limit named. */
function namedLimitError(err: ModelbayError, slot: SlotId, device: DeviceId, limit: number | null): ModelbayError {
  if (err.code !== 'EMB-E310' || err.details.slot !== undefined) return err;
  const reason = typeof err.details.reason === 'string' ? err.details.reason : err.message;
  limit ??= typeof err.details.limitBytes === 'number' ? err.details.limitBytes : null;
  return new ModelbayError('EMB-E310', `${slot} ran out of GPU memory on ${device}${limit === null ? '' : ` (its limit: ${formatBytes(limit)})`}: ${reason}`, { ...err.details, slot, device, limitBytes: limit });
}

async function totalBytes(paths: string[]): Promise<number> {
  let sum = 0;
  for (const p of paths) {
    try {
      sum += (await stat(p)).size;
    } catch {
      throw new ModelbayError('EMB-E101', `The model file ${p} is missing: download the slot's files again.`, { file: p });
    }
  }
  return sum;
}
