/**
 * How a headless process (`modelbay serve`, `modelbay demo`) stops on SIGINT and SIGTERM.
 *
 * The first signal runs the stop steps, last added first (server, then app, then the
 * demo's test Hub and temp folder), and exits 0. A second signal while they run means
 * "now": each step's synchronous form runs instead (session hosts killed, temp folder
 * removed, data folder released) and the process exits 1 — so an impatient Ctrl+C leaves
 * no host process, temp folder or stack trace behind. A signal during start-up waits for
 * the phase under way to end (start-up checks `stopping` between phases), then stops what
 * was started.
 */
import type { HostChannel, HostLauncher } from '../core/runtime/launcher.js';

export interface StopStep {
  /** The orderly stop. */
  graceful(): Promise<void>;
  /** The synchronous stop a second signal runs instead; none when exiting is enough. */
  now?(): void;
}

export interface ShutdownIo {
  log(message: string): void;
  exit(code: number): void;
}

/** Thrown by `checkpoint()` once a stop has begun: start-up ends there and leaves the rest to the stop. */
export class StopRequested extends Error {
  constructor() {
    super('Stopping: the start was interrupted.');
  }
}

export class Shutdown {
  private readonly steps: StopStep[] = [];
  private startup: Promise<unknown> = Promise.resolve();
  private signalled: string | null = null;
  private done = false;

  constructor(private readonly io: ShutdownIo) {}

  get stopping(): boolean {
    return this.signalled !== null;
  }

  /** Adds a step; steps run last added first. */
  add(step: StopStep): void {
    this.steps.push(step);
  }

  /** The start-up under way: a stop lets it reach its next checkpoint before stopping what it started. */
  starting(startup: Promise<unknown>): void {
    this.startup = startup.catch(() => undefined);
  }

  /** Throws StopRequested once a stop has begun. */
  checkpoint(): void {
    if (this.stopping) throw new StopRequested();
  }

  listen(proc: NodeJS.Process = process): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) proc.on(signal, () => this.stop(signal));
  }

  stop(signal: string): void {
    if (this.done) return;
    if (this.signalled !== null) {
      this.done = true;
      this.io.log(`${signal} again: stopping now, without waiting.`);
      // The step under way has not finished: its synchronous form runs too.
      for (const step of [...this.steps].reverse()) {
        try {
          step.now?.();
        } catch (e) {
          this.io.log(`Stopping: ${(e as Error).message}`);
        }
      }
      this.io.exit(1);
      return;
    }
    this.signalled = signal;
    this.io.log('Stopping Modelbay…');
    void this.end(0);
  }

  /** A start that failed: stop what it started (a signal still hurries it), then exit with `code`. */
  fail(code: number): void {
    if (this.signalled !== null) return;
    this.signalled = 'failure';
    void this.end(code);
  }

  private async end(code: number): Promise<void> {
    await this.startup;
    let failed = false;
    // Steps added while earlier ones ran (a start-up phase that just ended) run too. A step
    // leaves the list once it has finished, so a second signal meets only unfinished ones.
    for (let step = this.steps.at(-1); step !== undefined && !this.done; step = this.steps.at(-1)) {
      try {
        await step.graceful();
      } catch (e) {
        failed = true;
        this.io.log(`Stopping: ${(e as Error).message}`);
      }
      this.steps.splice(this.steps.lastIndexOf(step), 1);
    }
    if (this.done) return;
    this.done = true;
    this.io.exit(failed && code === 0 ? 1 : code);
  }
}

/**
 * The launcher's hosts, so a stop "now" can kill them at once: a host busy in a native call
 * (loading a model) would notice the lost IPC channel only when that call returns.
 */
export function trackHosts(launcher: HostLauncher): { launcher: HostLauncher; killAll(): void } {
  const live = new Set<HostChannel>();
  return {
    launcher: {
      launch(device, env) {
        const channel = launcher.launch(device, env);
        live.add(channel);
        channel.onExit(() => live.delete(channel));
        return channel;
      },
    },
    killAll() {
      for (const channel of live) channel.kill('SIGKILL');
    },
  };
}
