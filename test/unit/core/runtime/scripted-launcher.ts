/**
 * An in-memory host for unit tests of the main side: it answers the protocol from a
 * script instead of running onnxruntime, so CUDA paths, crashes and malformed replies
 * can be exercised on a machine without a GPU. The real host is tested in integration.
 */
import type { HostChannel, HostExit, HostLauncher } from '../../../../src/main/core/runtime/launcher.js';
import type { HostRequest } from '../../../../src/main/core/runtime/protocol.js';

export type Script = (request: HostRequest, host: ScriptedHost) => unknown;

export class ScriptedHost implements HostChannel {
  readonly received: HostRequest[] = [];
  private messageListeners: Array<(m: unknown) => void> = [];
  private exitListeners: Array<(e: HostExit) => void> = [];
  exited: HostExit | null = null;

  constructor(readonly pid: number, private readonly script: Script, readyAutomatically = true) {
    if (readyAutomatically) queueMicrotask(() => this.emit({ kind: 'ready', pid }));
  }

  emit(message: unknown): void {
    for (const l of this.messageListeners) l(message);
  }

  die(exit: Partial<HostExit> = {}): void {
    if (this.exited) return;
    this.exited = { code: null, signal: 'SIGKILL', stderr: '', ...exit };
    for (const l of this.exitListeners) l(this.exited);
  }

  send(message: unknown): void {
    const req = message as HostRequest;
    this.received.push(req);
    queueMicrotask(() => {
      if (this.exited) return;
      let value: unknown;
      try {
        value = this.script(req, this);
      } catch (e) {
        const err = e as { toJSON?: () => unknown };
        this.emit({ kind: 'reply', id: req.id, ok: false, error: err.toJSON?.() ?? { code: 'EMB-E500', message: String(e), details: {} } });
        return;
      }
      if (value === undefined) return; // no answer: a hung host
      this.emit({ kind: 'reply', id: req.id, ok: true, value });
      if (req.kind === 'shutdown') this.die({ code: 0, signal: null });
    });
  }

  onMessage(listener: (m: unknown) => void): void {
    this.messageListeners.push(listener);
  }

  onExit(listener: (e: HostExit) => void): void {
    if (this.exited) listener(this.exited);
    else this.exitListeners.push(listener);
  }

  kill(signal?: NodeJS.Signals): void {
    queueMicrotask(() => this.die({ signal: signal ?? 'SIGTERM' }));
  }
}

export class ScriptedLauncher implements HostLauncher {
  readonly hosts: ScriptedHost[] = [];
  private nextPid = 1000;
  constructor(private readonly script: Script) {}
  launch(): HostChannel {
    const h = new ScriptedHost(this.nextPid++, this.script);
    this.hosts.push(h);
    return h;
  }
}

/** Replies a well-behaved host would give. */
export function wellBehaved(request: HostRequest, host: ScriptedHost): unknown {
  switch (request.kind) {
    case 'load':
      return { inputNames: ['input_ids', 'attention_mask'], outputNames: ['sentence_embedding'], output: 'sentence_embedding', createMs: 1, warmupMs: 1, rssBeforeBytes: 100, rssAfterBytes: 150, pid: host.pid };
    case 'embed':
      return { dims: 2, count: request.texts.length, data: new Float32Array(request.texts.length * 2).fill(0.5), lengths: null, hostMs: 0.1 };
    case 'unload':
      return { remaining: 0 };
    case 'stats':
      return { pid: host.pid, rssBytes: 1, heapUsedBytes: 1, uptimeMs: 1, sessions: [] };
    case 'shutdown':
      return { released: 0 };
  }
}
