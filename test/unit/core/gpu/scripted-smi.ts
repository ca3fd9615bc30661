/**
 * An injected clock and a scripted nvidia-smi for the GPU monitor's fault tests: time only
 * moves when the test says so, and each spawned process prints what the script decides.
 * Stream rows come from the real captures (via the fake nvidia-smi's own parser).
 */
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { MonitorTimers, SpawnFn } from '../../../../src/main/core/gpu/index.js';

export class ManualClock implements MonitorTimers {
  now = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Runs every timer due within `ms`, in order, letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = Math.max(this.now, due[1].at);
      due[1].fn();
    }
    this.now = end;
    await settle();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export class FakeChild extends EventEmitter {
  readonly stdout = Object.assign(new EventEmitter(), { setEncoding: () => undefined });
  readonly stderr = Object.assign(new EventEmitter(), { setEncoding: () => undefined });
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killedWith: string | null = null;

  constructor(readonly args: string[]) {
    super();
  }

  get alive(): boolean {
    return this.exitCode === null && this.signalCode === null;
  }

  print(text: string): void {
    if (this.alive) this.stdout.emit('data', text);
  }

  printErr(text: string): void {
    if (this.alive) this.stderr.emit('data', text);
  }

  exit(code: number): void {
    if (!this.alive) return;
    this.exitCode = code;
    this.emit('close', code, null);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (!this.alive) return false;
    this.killedWith = signal;
    this.signalCode = signal;
    queueMicrotask(() => this.emit('close', null, signal));
    return true;
  }
}

/** What a spawned nvidia-smi does: called once listeners are attached. */
export type SmiScript = (child: FakeChild) => void;

export class ScriptedSmi {
  readonly children: FakeChild[] = [];
  /** The script for `--query-gpu` streams, by run number (1-based). */
  stream: (run: number, child: FakeChild) => void = () => undefined;
  /** One-shot runs: --query-compute-apps, -L, -q. */
  oneShot: SmiScript = (c) => c.exit(0);
  throwOnSpawn: Error | null = null;

  readonly spawn: SpawnFn = (_cmd, args) => {
    if (this.throwOnSpawn) throw this.throwOnSpawn;
    const child = new FakeChild(args);
    this.children.push(child);
    const isStream = args.some((a) => a.startsWith('--query-gpu='));
    const run = this.streams().length;
    queueMicrotask(() => (isStream ? this.stream(run, child) : this.oneShot(child)));
    return child as unknown as ChildProcess;
  };

  streams(): FakeChild[] {
    return this.children.filter((c) => c.args.some((a) => a.startsWith('--query-gpu=')));
  }

  processQueries(): FakeChild[] {
    return this.children.filter((c) => c.args.some((a) => a.startsWith('--query-compute-apps=')));
  }
}
