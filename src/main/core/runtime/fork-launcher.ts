/** Session hosts as Node child processes (headless mode, tests, benchmarks). */
import { fork as nodeFork, type ChildProcess, type ForkOptions } from 'node:child_process';
import type { DeviceId } from '../../../shared/slots/state.js';
import { TailBuffer, type HostChannel, type HostExit, type HostLauncher } from './launcher.js';
import { eachMessage, MessageBatcher } from './message-batch.js';

export interface ForkLauncherOptions {
  /** The host entry: `out/main/host.js` in production, `src/main/host.ts` with tsx in tests. */
  entry: string;
  /** e.g. `['--import', 'tsx']` to run the TypeScript entry. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Injected for tests; default node:child_process fork. */
  fork?: (modulePath: string, args: string[], options: ForkOptions) => ChildProcess;
}

export class ForkLauncher implements HostLauncher {
  constructor(private readonly options: ForkLauncherOptions) {}

  launch(device: DeviceId, env: Record<string, string> = {}): HostChannel {
    const fork = this.options.fork ?? nodeFork;
    const child = fork(this.options.entry, ['--device', device], {
      execArgv: this.options.execArgv ?? [],
      env: { ...(this.options.env ?? process.env), ...env, MODELBAY_HOST_DEVICE: device },
      // Structured clone instead of JSON: Float32Array embeddings cross as bytes.
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const stderr = new TailBuffer();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => stderr.push(c));
    const exitListeners: Array<(e: HostExit) => void> = [];
    let exited: HostExit | null = null;
    const finish = (code: number | null, signal: string | null): void => {
      if (exited) return;
      exited = { code, signal, stderr: stderr.toString() };
      for (const l of exitListeners) l(exited);
    };
    // 'close' fires after stdio ended, so the stderr tail is complete.
    child.on('close', (code, signal) => finish(code, signal));
    child.on('error', (err) => {
      stderr.push(`\n${err.message}`);
      if (child.pid === undefined) finish(null, null);
    });
    const outbox = new MessageBatcher((batch) => {
      if (child.connected) child.send(batch);
    });
    return {
      get pid() {
        return child.pid;
      },
      send: (message) => outbox.post(message),
      onMessage: (l) => child.on('message', (raw) => eachMessage(raw, l)),
      onExit: (l) => {
        if (exited) l(exited);
        else exitListeners.push(l);
      },
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal ?? 'SIGTERM');
      },
    };
  }
}
