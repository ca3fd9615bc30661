/**
 * GPU telemetry from one long-lived `nvidia-smi --query-gpu … -lms N` process (cheaper
 * than one process per sample, as nvitop and gpustat do through NVML), plus, while a GPU
 * is there, a periodic `--query-compute-apps` for per-process memory and, for GPUs in MIG
 * mode, `-L` and `-q` for their instances. Every tick becomes a GpuSample event.
 *
 * Faults never throw; each is a state with its own code (gpu-states.ts) and ends in a
 * restart: nvidia-smi exiting, a hang (no sample for 3 intervals), N unreadable lines in a
 * row (killed and restarted with a short backoff, so sane output is back within seconds),
 * and a lost driver or "no devices" (retried with a backoff from a few seconds, capped).
 */
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import type { GpuInfo, GpuProcess, GpuSample, GpuState, MigInstance } from '../../../shared/devices/gpu.js';
import { isMigGpu } from './gpu-devices.js';
import { excerpt, GPU_STATE_INFO, seconds } from './gpu-states.js';
import {
  GPU_QUERY_FIELDS, isDriverLostMessage, isNoDeviceMessage, parseGpuLine, parseProcessOutput, PROCESS_QUERY_FIELDS, rejectedFields,
} from './nvidia-smi-csv.js';
import { locateNvidiaSmi } from './nvidia-smi-locate.js';
import { Delay, defaultTimers, OneShotRunner, type GpuMonitorOptions, type MonitorTimers, type SpawnFn } from './nvidia-smi-run.js';
import { joinMigInstances, parseMigList, parseMigQuery, type MigListEntry } from './nvidia-smi-mig.js';

export type { GpuMonitorOptions, MonitorTimers, SpawnFn };

export type GpuSampleListener = (sample: GpuSample) => void;

export class GpuMonitor {
  private readonly listeners = new Set<GpuSampleListener>();
  private readonly interval: number;
  private readonly processInterval: number;
  private readonly stallMs: number;
  private readonly startupGrace: number;
  private readonly unreadableLimit: number;
  private readonly spawn: SpawnFn;
  private readonly now: () => number;
  private readonly timers: MonitorTimers;
  private readonly restartDelay: Delay;
  private readonly noGpuDelay: Delay;
  private fields: string[] = [...GPU_QUERY_FIELDS];
  private path: string | null = null;
  private stream: ChildProcess | null = null;
  private running = false;
  private state: GpuState = 'starting';
  private tick: GpuInfo[] = [];
  private badLines = 0;
  private lastBadLine = '';
  /** null = unknown (the last query failed or printed garbage). */
  private processes: GpuProcess[] | null = null;
  /** No process list or MIG instances have been asked for since the GPU (re)appeared. */
  private fresh = true;
  private processFailures = 0;
  private migList: MigListEntry[] = [];
  private mig = new Map<string, MigInstance[]>();
  private lastGpus: GpuInfo[] = [];
  private last: GpuSample | null = null;
  private restartTimer: unknown = null;
  private stallTimer: unknown = null;
  private flushTimer: unknown = null;
  private pollTimer: unknown = null;
  private polling = false;
  private readonly oneShot: OneShotRunner;
  /** Streams the monitor killed itself (hang, garbage): their exit needs no report of its own. */
  private readonly killed = new WeakSet<ChildProcess>();

  constructor(private readonly options: GpuMonitorOptions = {}) {
    this.interval = Math.max(50, options.intervalMs ?? 1000);
    this.processInterval = Math.max(this.interval, options.processIntervalMs ?? 2000);
    this.stallMs = options.stallMs ?? 3 * this.interval;
    this.startupGrace = options.startupGraceMs ?? 2000;
    this.unreadableLimit = Math.max(1, options.unreadableLimit ?? 3);
    this.restartDelay = new Delay(options.backoff?.initialMs ?? 1000, options.backoff?.maxMs ?? 5000);
    this.noGpuDelay = new Delay(options.noGpuBackoff?.initialMs ?? 3000, options.noGpuBackoff?.maxMs ?? 30_000);
    this.spawn = options.spawn ?? nodeSpawn;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? defaultTimers;
    this.oneShot = new OneShotRunner({ spawn: this.spawn, timers: this.timers, env: options.env ?? process.env, timeoutMs: options.queryTimeoutMs ?? 5000 });
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
      this.emitState('no-nvidia-smi', 'No NVIDIA GPU: nvidia-smi was not found. Models run on the CPU.');
      return;
    }
    this.startStream();
    this.schedulePoll(this.processInterval);
  }

  stop(): Promise<void> {
    this.running = false;
    for (const t of [this.restartTimer, this.stallTimer, this.flushTimer, this.pollTimer]) if (t !== null) this.timers.clearTimeout(t);
    this.restartTimer = this.stallTimer = this.flushTimer = this.pollTimer = null;
    const ended: Array<Promise<void>> = [];
    for (const child of [this.stream, ...this.oneShot.children]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        ended.push(new Promise((resolve) => child.once('close', () => resolve())));
        child.kill('SIGKILL');
      }
    }
    this.stream = null;
    this.oneShot.children.clear();
    return Promise.all(ended).then(() => undefined);
  }

  /**
   * A process's GPU memory summed over GPUs, from a fresh `--query-compute-apps`; null
   * when unknown (no GPU, not listed, garbage, or [N/A] as on Windows WDDM).
   */
  async processMemory(pid: number): Promise<number | null> {
    if (this.state !== 'ok') return null;
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
    this.tick = [];
    this.badLines = 0;
    let child: ChildProcess;
    try {
      child = this.spawn(this.path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.options.env ?? process.env, windowsHide: true });
    } catch (e) {
      this.cannotStart(e);
      return;
    }
    this.stream = child;
    let output = '';
    let buffered = '';
    let reported = false;
    const report = (how: string | Error): void => {
      if (reported) return;
      reported = true;
      if (this.stream === child) this.stream = null;
      if (this.killed.has(child)) return;
      if (how instanceof Error) this.cannotStart(how);
      else this.streamEnded(how, output);
    };
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => {
      output = (output + c).slice(-4096);
    });
    child.stdout?.on('data', (c: string) => {
      if (this.stream !== child) return;
      buffered += c;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        // nvidia-smi prints "no GPU" failures on stdout: keep unreadable lines for the reason.
        if (!this.onLine(line)) output = (output + line + '\n').slice(-4096);
        if (this.stream !== child) return;
      }
    });
    child.on('error', (e) => report(e));
    child.on('close', (code, signal) => report(signal ? `was killed by ${signal}` : `exited with code ${String(code)}`));
    this.armStall(this.stallMs + this.startupGrace);
  }

  /** Returns false for a line that is not a GPU row. */
  private onLine(line: string): boolean {
    if (line.trim() === '') return true;
    const gpu = parseGpuLine(line, this.fields);
    if (!gpu) {
      // The driver's own failure messages are read when nvidia-smi exits, not counted as garbage.
      if (isNoDeviceMessage(line) || isDriverLostMessage(line)) return false;
      this.badLines++;
      this.lastBadLine = line;
      if (this.badLines >= this.unreadableLimit) this.unreadable();
      return false;
    }
    this.badLines = 0;
    this.armStall(this.stallMs);
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
    const gpus = [...this.tick].sort((a, b) => a.index - b.index).map((g) => ({ ...g, migInstances: isMigGpu(g) ? (this.mig.get(g.uuid) ?? []) : [] }));
    this.tick = [];
    this.lastGpus = gpus;
    this.state = 'ok';
    // A GPU (back) without a process list or MIG instances yet: ask now rather than at the next poll.
    if (this.fresh && !this.polling && this.pollTimer !== null) {
      this.fresh = false;
      this.timers.clearTimeout(this.pollTimer);
      this.schedulePoll(0);
    }
    this.restartDelay.reset();
    this.noGpuDelay.reset();
    const byUuid = new Map(gpus.map((g) => [g.uuid, g.index]));
    const processes = (this.processes ?? []).map((p) => ({ ...p, gpuIndex: byUuid.get(p.gpuUuid) ?? null }));
    const known = this.processes !== null;
    this.emit({
      at: this.now(), available: true, reason: null, gpus, processes, state: 'ok', code: null, title: GPU_STATE_INFO.ok.title,
      processesKnown: known,
      processesReason: known ? null : `The GPU process list is unknown: nvidia-smi --query-compute-apps has not answered yet, failed, or printed output Modelbay cannot read (EMB-E308).`,
    });
  }

  private armStall(ms: number): void {
    if (this.stallTimer !== null) this.timers.clearTimeout(this.stallTimer);
    this.stallTimer = this.timers.setTimeout(() => {
      this.stallTimer = null;
      if (!this.stream) return;
      if (this.badLines > 0) this.unreadable();
      else this.kill('hung', `nvidia-smi stopped answering: no sample for ${ms} ms; restarting it.`);
    }, ms);
  }

  private unreadable(): void {
    this.kill('unreadable', `nvidia-smi printed ${this.badLines} line(s) in a row that Modelbay cannot read, e.g. ${excerpt(this.lastBadLine)}; restarting it.`);
  }

  private kill(state: GpuState, reason: string): void {
    const child = this.stream;
    if (!child) return;
    this.killed.add(child);
    this.stream = null;
    this.tick = [];
    this.emitState(state, reason);
    child.kill('SIGKILL');
    this.scheduleRestart(this.restartDelay.next());
  }

  private cannotStart(e: unknown): void {
    this.clearStall();
    if (!this.running) return;
    const delay = this.restartDelay.next();
    this.emitState('cannot-start', `nvidia-smi could not be started: ${e instanceof Error ? e.message : String(e)}; retrying in ${seconds(delay)}.`);
    this.scheduleRestart(delay);
  }

  private streamEnded(how: string, output: string): void {
    this.clearStall();
    this.flushTick();
    if (!this.running) return;
    const rejected = rejectedFields(output).filter((f) => f !== 'index' && f !== 'uuid');
    if (rejected.length > 0) {
      // An older driver: ask again without the fields it does not know (they stay unknown).
      this.fields = this.fields.filter((f) => !rejected.includes(f));
      this.scheduleRestart(0);
      return;
    }
    const said = output.trim() ? `: ${excerpt(output.trim().split('\n').slice(-2).join(' '), 120)}` : '';
    if (isNoDeviceMessage(output) || isDriverLostMessage(output)) {
      const delay = this.noGpuDelay.next();
      const noDevice = isNoDeviceMessage(output);
      this.emitState(noDevice ? 'no-gpu' : 'driver-lost', `${noDevice ? 'The NVIDIA driver found no GPU' : 'nvidia-smi cannot reach the NVIDIA driver'}${said}. Models run on the CPU; checking again in ${seconds(delay)}.`);
      this.scheduleRestart(delay);
      return;
    }
    const delay = this.restartDelay.next();
    this.emitState('exited', `nvidia-smi ${how}${said}; restarting it in ${seconds(delay)}.`);
    this.scheduleRestart(delay);
  }

  private clearStall(): void {
    if (this.stallTimer !== null) this.timers.clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private scheduleRestart(delay: number): void {
    if (this.restartTimer !== null) this.timers.clearTimeout(this.restartTimer);
    this.restartTimer = this.timers.setTimeout(() => {
      this.restartTimer = null;
      this.startStream();
    }, delay);
  }

  // ── per-process memory and MIG instances (only while a GPU is there) ─────────

  private schedulePoll(delay: number): void {
    if (!this.running) return;
    this.pollTimer = this.timers.setTimeout(() => {
      this.pollTimer = null;
      this.polling = true;
      void this.poll().finally(() => {
        this.polling = false;
        // Failing queries back off like the stream: N in a row double the wait, up to 16 intervals.
        const over = Math.max(0, this.processFailures - this.unreadableLimit + 1);
        this.schedulePoll(this.processInterval * 2 ** Math.min(over, 4));
      });
    }, delay);
  }

  private async poll(): Promise<void> {
    if (this.state !== 'ok') return;
    const migGpus = this.lastGpus.filter(isMigGpu);
    const [list] = await Promise.all([this.queryProcesses(), migGpus.length > 0 ? this.queryMig(migGpus) : undefined]);
    if (!this.running) return;
    this.processes = list;
    this.processFailures = list === null ? this.processFailures + 1 : 0;
  }

  private queryProcesses(): Promise<GpuProcess[] | null> {
    return this.runOnce([`--query-compute-apps=${PROCESS_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits']).then((out) => (out === null ? null : parseProcessOutput(out, this.lastGpus)));
  }

  private async queryMig(gpus: GpuInfo[]): Promise<void> {
    const [listOut, queryOut] = await Promise.all([this.runOnce(['-L']), this.runOnce(['-q', '-i', gpus.map((g) => g.index).join(',')])]);
    const list = listOut === null ? null : parseMigList(listOut);
    if (list !== null) this.migList = list;
    // Unknown memory stays unknown: a failed -q leaves the instances without figures, never with old ones.
    const query = queryOut === null ? null : parseMigQuery(queryOut);
    const instances = joinMigInstances(this.migList, query);
    this.mig = new Map(gpus.map((g) => [g.uuid, instances.filter((i) => this.migList.some((l) => l.uuid === i.uuid && l.gpuUuid === g.uuid))]));
  }

  private runOnce(args: string[]): Promise<string | null> {
    return this.path === null ? Promise.resolve(null) : this.oneShot.run(this.path, args);
  }

  // ── events ────────────────────────────────────────────────────────────────────

  private emitState(state: GpuState, reason: string): void {
    this.state = state;
    this.lastGpus = [];
    // What was known before the fault is not known now: asked again once the GPU is back.
    this.processes = null;
    this.mig = new Map();
    this.fresh = true;
    const { code, title } = GPU_STATE_INFO[state];
    this.emit({
      at: this.now(), available: false, reason: code ? `${reason} (${code})` : reason, gpus: [], processes: [],
      state, code, title, processesKnown: false, processesReason: null,
    });
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
