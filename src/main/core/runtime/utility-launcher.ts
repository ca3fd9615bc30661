/**
 * Session hosts as Electron utility processes. Electron's `utilityProcess` is passed in
 * (src/main/electron/main.ts has it); only its shape is described here, so core stays free of
 * Electron imports.
 */
import type { DeviceId } from '../../../shared/slots/state.js';
import { TailBuffer, type HostChannel, type HostExit, type HostLauncher } from './launcher.js';
import { eachMessage, MessageBatcher, ownBuffers } from './message-batch.js';

/** The part of Electron's UtilityProcess that the launcher uses. */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
}

/** The part of Electron's `utilityProcess` module that the launcher uses. */
export interface UtilityProcessApi {
  fork(modulePath: string, args?: string[], options?: {
    env?: NodeJS.ProcessEnv;
    execArgv?: string[];
    serviceName?: string;
    stdio?: 'pipe' | 'ignore' | 'inherit' | Array<'pipe' | 'ignore' | 'inherit'>;
  }): UtilityProcessLike;
}

export interface UtilityLauncherOptions {
  utilityProcess: UtilityProcessApi;
  /** Absolute path of the built host entry (out/main/host.js). */
  entry: string;
  env?: NodeJS.ProcessEnv;
  execArgv?: string[];
}

export class UtilityProcessLauncher implements HostLauncher {
  constructor(private readonly options: UtilityLauncherOptions) {}

  launch(device: DeviceId, env: Record<string, string> = {}): HostChannel {
    const child = this.options.utilityProcess.fork(this.options.entry, ['--device', device], {
      env: { ...(this.options.env ?? process.env), ...env, MODELBAY_HOST_DEVICE: device },
      execArgv: this.options.execArgv ?? [],
      serviceName: `Modelbay session host (${device})`,
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    const stderr = new TailBuffer();
    child.stderr?.on('data', (c: Buffer | string) => stderr.push(String(c)));
    const exitListeners: Array<(e: HostExit) => void> = [];
    let exited: HostExit | null = null;
    let killedWith: string | null = null;
    child.on('exit', (code) => {
      if (exited) return;
      // Electron reports only a code; a kill we asked for is named so messages stay clear.
      exited = { code, signal: killedWith, stderr: stderr.toString() };
      for (const l of exitListeners) l(exited);
    });
    const outbox = new MessageBatcher((batch) => {
      if (!exited) child.postMessage(batch.map(ownBuffers));
    });
    return {
      get pid() {
        return child.pid;
      },
      send: (message) => outbox.post(message),
      onMessage: (l) => {
        child.on('message', (raw) => eachMessage(raw, l));
      },
      onExit: (l) => {
        if (exited) l(exited);
        else exitListeners.push(l);
      },
      kill: (signal) => {
        killedWith = signal ?? 'SIGTERM';
        if (!exited) child.kill();
      },
    };
  }
}
