/** The GPU monitor's options, its short one-shot nvidia-smi runs (process list, `-L`, `-q`) and its backoff. */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { unrefTimers, type Timers } from '../async/timers.js';

export type SpawnFn = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

/** The monitor needs only the one-shot half of main's one Timers interface. */
export type MonitorTimers = Pick<Timers, 'setTimeout' | 'clearTimeout'>;

export interface Backoff {
  initialMs?: number;
  maxMs?: number;
}

export interface GpuMonitorOptions {
  /** nvidia-smi's path; undefined = locate it (PATH, then Windows' System32 and DriverStore); null = none. */
  nvidiaSmi?: string | null;
  /** Sample period (the `-lms` argument); default 1000 ms. */
  intervalMs?: number;
  /** Per-process memory and MIG instance poll period; default 2000 ms. */
  processIntervalMs?: number;
  /** No sample for this long is a hang: killed and restarted; default 3 × interval. */
  stallMs?: number;
  /** Extra time nvidia-smi gets for its first sample (driver initialisation); default 2000 ms. */
  startupGraceMs?: number;
  /** This many unreadable lines (or process queries) in a row are a fault; default 3. */
  unreadableLimit?: number;
  /** Restart delays after a crash, hang or garbage: doubling from `initialMs` up to `maxMs`; default 1 s … 5 s. */
  backoff?: Backoff;
  /** Retry delays while the driver is lost or sees no device; default 3 s … 30 s. */
  noGpuBackoff?: Backoff;
  /** Time given to one one-shot query (`--query-compute-apps`, `-L`, `-q`); default 5 s. */
  queryTimeoutMs?: number;
  spawn?: SpawnFn;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  timers?: MonitorTimers;
}

export const defaultTimers: MonitorTimers = unrefTimers;

/** Doubling delays from `initial` up to `max`; `reset()` after a success. */
export class Delay {
  private current: number;
  constructor(private readonly initial: number, private readonly max: number) {
    this.current = initial;
  }
  next(): number {
    const d = this.current;
    this.current = Math.min(this.current * 2, this.max);
    return d;
  }
  reset(): void {
    this.current = this.initial;
  }
}

export interface OneShotOptions {
  spawn: SpawnFn;
  timers: MonitorTimers;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** Runs nvidia-smi once per call and keeps the children so stop() can end them. */
export class OneShotRunner {
  readonly children = new Set<ChildProcess>();

  constructor(private readonly options: OneShotOptions) {}

  /** stdout of one run, or null if it could not start, failed or timed out (a hang is killed). */
  run(path: string, args: string[]): Promise<string | null> {
    const { spawn, timers, env, timeoutMs } = this.options;
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(path, args, { stdio: ['ignore', 'pipe', 'ignore'], env, windowsHide: true });
      } catch {
        resolve(null);
        return;
      }
      this.children.add(child);
      let out = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (c: string) => {
        out = (out + c).slice(-1_000_000);
      });
      const timer = timers.setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', () => undefined);
      child.on('close', (code) => {
        timers.clearTimeout(timer);
        this.children.delete(child);
        resolve(code === 0 ? out : null);
      });
    });
  }
}
