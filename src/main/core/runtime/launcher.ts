/**
 * How main starts a session host. One interface, two implementations: child_process.fork
 * (headless mode, tests, benchmarks) and Electron's utilityProcess.fork (the app), which
 * is injected so src/main/core never imports Electron.
 */
import type { DeviceId } from '../../../shared/slots/state.js';

export interface HostExit {
  code: number | null;
  signal: string | null;
  /** Last lines the host wrote to stderr, for the error message. */
  stderr: string;
}

/** A running host process as the client sees it. */
export interface HostChannel {
  readonly pid: number | undefined;
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, when the process has ended (or failed to start). */
  onExit(listener: (exit: HostExit) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

export interface HostLauncher {
  /** `env` is added to the host's environment (e.g. CUDA_VISIBLE_DEVICES for a MIG instance). */
  launch(device: DeviceId, env?: Record<string, string>): HostChannel;
}

/** Keeps the tail of a stream of text, for error messages. */
export class TailBuffer {
  private text = '';
  constructor(private readonly limit = 4096) {}
  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.limit);
  }
  toString(): string {
    return this.text.trim();
  }
}
