/**
 * GPU telemetry from one long-lived `nvidia-smi --query-gpu … -lms N` process (cheaper
 * than one process per sample, as nvitop and gpustat do through NVML), plus a periodic
 * `--query-compute-apps` for per-process memory. Every tick becomes a GpuSample event.
 * nvidia-smi exiting, hanging or printing garbage never throws: the monitor reports the
 * GPUs as unknown (available=false with a reason) and restarts it with backoff.
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { GpuInfo, GpuProcess, GpuSample } from '../../../shared/gpu.js';
import {
  GPU_QUERY_FIELDS,
  isNoGpuMessage,
  parseGpuLine,
  parseProcessLines,
  PROCESS_QUERY_FIELDS,
  rejectedFields,
} from './nvidia-smi-csv.js';
import { locateNvidiaSmi } from './nvidia-smi-locate.js';

export type SpawnFn = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

export interface MonitorTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface GpuMonitorOptions {
  /** nvidia-smi's path; undefined = locate it (PATH, then Windows' System32 and DriverStore); null = none. */
  nvidiaSmi?: string | null;
  /** Sample period (the `-lms` argument); default 1000 ms. */
  intervalMs?: number;
  /** Per-process memory poll period; default 2000 ms. */
  processIntervalMs?: number;
  /** A stream silent for this long is considered hung and restarted; default max(5 × interval, 5 s). */
  stallMs?: number;
  /** Restart delays: doubling from `initialMs` up to `maxMs`; default 1 s … 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Time given to one `--query-compute-apps` run; default 5 s. */
  queryTimeoutMs?: number;
  spawn?: SpawnFn;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  timers?: MonitorTimers;
}

export type GpuSampleListener = (sample: GpuSample) => void;

const defaultTimers: MonitorTimers = {
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    h.unref();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class GpuMonitor {
  private readonly listeners = new Set<GpuSampleListener>();
  private readonly interval: number;
  private readonly processInterval: number;
  private readonly stallMs: number;
  private readonly backoffInitial: number;
  private readonly backoffMax: number;
  private readonly queryTimeout: number;
  private readonly spawn: SpawnFn;
  private readonly now: () => number;
  private readonly timers: MonitorTimers;
  private fields: string[] = [...GPU_QUERY_FIELDS];
  private path: string | null = null;
  private stream: ChildProcess | null = null;
  private running = false;
  private tick: GpuInfo[] = [];
  private processes: GpuProcess[] = [];
  private lastGpus: GpuInfo[] = [];
  private last: GpuSample | null = null;
  private backoff: number;
  private restartTimer: unknown = null;
  private stallTimer: unknown = null;
  private flushTimer: unknown = null;
  private processTimer: unknown = null;
  private readonly queries = new Set<ChildProcess>();

  constructor(private readonly options: GpuMonitorOptions = {}) {
    this.interval = Math.max(50, options.intervalMs ?? 1000);
    this.processInterval = Math.max(this.interval, options.processIntervalMs ?? 2000);
    this.stallMs = options.stallMs ?? Math.max(5 * this.interval, 5000);
    this.backoffInitial = options.backoff?.initialMs ?? 1000;
    this.backoffMax = options.backoff?.maxMs ?? 30_000;
    this.queryTimeout = options.queryTimeoutMs ?? 5000;
    this.backoff = this.backoffInitial;
    this.spawn = options.spawn ?? nodeSpawn;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? defaultTimers;
  }

  on(listener: GpuSampleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  latest(): GpuSample | null {
    return this.last;
  }

  /** The path found, once started; null when there is no nvidia-smi. */
  get nvidiaSmiPath(): string | null {
    return this.path;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.path = this.options.nvidiaSmi !== undefined ? this.options.nvidiaSmi : await locateNvidiaSmi({ env: this.options.env });
    if (!this.running) return;
    if (this.path === null) {
      // No driver tools: a machine without an NVIDIA GPU. Nothing to retry.
      this.emitUnavailable('No NVIDIA GPU: nvidia-smi was not found (EMB-E301). Models run on the CPU.');
      return;
    }
    this.startStream();
    this.pollProcesses();
  }

  stop(): Promise<void> {
    this.running = false;
    for (const t of [this.restartTimer, this.stallTimer, this.flushTimer, this.processTimer]) if (t !== null) this.timers.clearTimeout(t);
    this.restartTimer = this.stallTimer = this.flushTimer = this.processTimer = null;
    const ended: Array<Promise<void>> = [];
    for (const child of [this.stream, ...this.queries]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        ended.push(new Promise((resolve) => child.once('close', () => resolve())));
        child.kill('SIGKILL');
      }
    }
    this.stream = null;
    this.queries.clear();
    return Promise.all(ended).then(() => undefined);
  }

  /**
   * A process's GPU memory summed over GPUs, from a fresh `--query-compute-apps`; null
   * when unknown (no nvidia-smi, not listed, or [N/A] as on Windows WDDM).
   */
  async processMemory(pid: number): Promise<number | null> {
    const list = await this.queryProcesses();
    if (list === null) return null;
    const mine = list.filter((p) => p.pid === pid);
    if (mine.length === 0 || mine.some((p) => p.usedMemoryBytes === null)) return null;
    return mine.reduce((s, p) => s + (p.usedMemoryBytes ?? 0), 0);
  }

  // ── the stream ────────────────────────────────────────────────────────────────

  private startStream(): void {
    if (!this.running || this.path === null) return;
    const args = [`--query-gpu=${this.fields.join(',')}`, '--format=csv,noheader,nounits', `-lms`, String(this.interval)];
    let child: ChildProcess;
    try {
      child = this.spawn(this.path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.options.env ?? process.env, windowsHide: true });
    } catch (e) {
      this.streamEnded(`nvidia-smi could not be started: ${e instanceof Error ? e.message : String(e)}`, '');
      return;
    }
    this.stream = child;
    this.tick = [];
    let stderr = '';
    let buffered = '';
    let reported = false;
    const report = (reason: string): void => {
      if (reported) return;
      reported = true;
      if (this.stream === child) this.stream = null;
      this.streamEnded(reason, stderr);
    };
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => {
      stderr = (stderr + c).slice(-4096);
    });
    child.stdout?.on('data', (c: string) => {
      if (this.stream !== child) return;
      buffered += c;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        // nvidia-smi prints "no GPU" failures on stdout: keep unreadable lines for the reason.
        if (!this.onLine(line)) stderr = (stderr + line + '\n').slice(-4096);
      }
    });
    child.on('error', (e) => report(`nvidia-smi failed: ${e.message}`));
    child.on('close', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      report(`nvidia-smi ${how}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-2).join(' ')}` : ''}`);
    });
    this.armStall();
  }

  /** Returns false for a line that is not a GPU row. */
  private onLine(line: string): boolean {
    if (line.trim() === '') return true;
    this.armStall();
    const gpu = parseGpuLine(line, this.fields);
    if (!gpu) {
      this.flushTick();
      this.emitUnavailable(`nvidia-smi printed output Modelbay cannot read: ${JSON.stringify(line.slice(0, 120))}`);
      return false;
    }
    // A GPU index seen again starts the next tick.
    if (this.tick.some((g) => g.index === gpu.index)) this.flushTick();
    this.tick.push(gpu);
    if (this.flushTimer !== null) this.timers.clearTimeout(this.flushTimer);
    // All lines of one tick arrive together; a short quiet gap ends the tick.
    this.flushTimer = this.timers.setTimeout(() => {
      this.flushTimer = null;
      this.flushTick();
    }, Math.min(50, this.interval / 2));
    return true;
  }

  private flushTick(): void {
    if (this.flushTimer !== null) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.tick.length === 0) return;
    const gpus = [...this.tick].sort((a, b) => a.index - b.index);
    this.tick = [];
    this.lastGpus = gpus;
    this.backoff = this.backoffInitial;
    const byUuid = new Map(gpus.map((g) => [g.uuid, g.index]));
    const processes = this.processes.map((p) => ({ ...p, gpuIndex: byUuid.get(p.gpuUuid) ?? null }));
    this.emit({ at: this.now(), available: true, reason: null, gpus, processes });
  }

  private armStall(): void {
    if (this.stallTimer !== null) this.timers.clearTimeout(this.stallTimer);
    this.stallTimer = this.timers.setTimeout(() => {
      this.stallTimer = null;
      const child = this.stream;
      if (!child) return;
      this.emitUnavailable(`nvidia-smi stopped answering for ${this.stallMs} ms; restarting it.`);
      child.kill('SIGKILL');
    }, this.stallMs);
  }

  private streamEnded(reason: string, stderr: string): void {
    if (this.stallTimer !== null) this.timers.clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.flushTick();
    if (!this.running) return;
    const rejected = rejectedFields(stderr).filter((f) => f !== 'index' && f !== 'uuid');
    if (rejected.length > 0) {
      // An older driver: ask again without the fields it does not know (they stay unknown).
      this.fields = this.fields.filter((f) => !rejected.includes(f));
      this.restartTimer = this.timers.setTimeout(() => {
        this.restartTimer = null;
        this.startStream();
      }, 0);
      return;
    }
    const noGpu = isNoGpuMessage(stderr);
    this.emitUnavailable(noGpu ? `No NVIDIA GPU: ${stderr.trim().split('\n')[0] ?? reason}` : `${reason} (EMB-E302); retrying in ${Math.round(this.backoff / 1000)} s.`);
    const delay = noGpu ? this.backoffMax : this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.backoffMax);
    this.restartTimer = this.timers.setTimeout(() => {
      this.restartTimer = null;
      this.startStream();
    }, delay);
  }

  // ── per-process memory ────────────────────────────────────────────────────────

  private pollProcesses(): void {
    if (!this.running) return;
    this.queryProcesses().then((list) => {
      if (list !== null) this.processes = list;
    }, () => undefined).finally(() => {
      if (!this.running) return;
      this.processTimer = this.timers.setTimeout(() => {
        this.processTimer = null;
        this.pollProcesses();
      }, this.processInterval);
    });
  }

  private queryProcesses(): Promise<GpuProcess[] | null> {
    const path = this.path;
    if (path === null) return Promise.resolve(null);
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = this.spawn(path, [`--query-compute-apps=${PROCESS_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], {
          stdio: ['ignore', 'pipe', 'ignore'], env: this.options.env ?? process.env, windowsHide: true,
        });
      } catch {
        resolve(null);
        return;
      }
      this.queries.add(child);
      let out = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (c: string) => {
        out += c;
      });
      const timer = this.timers.setTimeout(() => child.kill('SIGKILL'), this.queryTimeout);
      child.on('error', () => undefined);
      child.on('close', (code) => {
        this.timers.clearTimeout(timer);
        this.queries.delete(child);
        resolve(code === 0 ? parseProcessLines(out, this.lastGpus) : null);
      });
    });
  }

  // ── events ────────────────────────────────────────────────────────────────────

  private emitUnavailable(reason: string): void {
    this.emit({ at: this.now(), available: false, reason, gpus: [], processes: [] });
  }

  private emit(sample: GpuSample): void {
    this.last = sample;
    for (const l of this.listeners) {
      try {
        l(sample);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}
