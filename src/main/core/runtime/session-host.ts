/**
 * Main's handle on one host process: starts it, correlates requests with replies,
 * validates every reply, and turns the host's death into EMB-E203 for every request in
 * flight. It never throws into main's event loop: a host can only fail its own promises.
 */
import { ModelbayError } from '../../../shared/errors/errors.js';
import type { DeviceId } from '../../../shared/slots/state.js';
import type { HostChannel, HostExit, HostLauncher } from './launcher.js';
import { isEmbedResult, parseHostMessage, isServeResult, REPLY_SCHEMAS, type HostRequest, type HostRequestKind, type ReplyOf } from './protocol.js';

type Body<K extends HostRequestKind> = Omit<Extract<HostRequest, { kind: K }>, 'id' | 'kind'>;

interface Pending {
  kind: HostRequestKind;
  resolve(value: unknown): void;
  reject(error: ModelbayError): void;
  timer: ReturnType<typeof setTimeout> | null;
}

export interface SessionHostOptions {
  /** Time allowed for the process to start and say ready. */
  startTimeoutMs?: number;
  /** Time allowed per request kind; absent = no limit (a big model can take minutes to load). */
  requestTimeoutMs?: Partial<Record<HostRequestKind, number>>;
  /** Added to the process's environment (HostPool's deviceEnv). */
  env?: Record<string, string>;
}

export function describeExit(device: DeviceId, exit: HostExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
  const hint = exit.signal === 'SIGKILL' ? ' (killed from outside, or by the system when memory ran out)' : '';
  const tail = exit.stderr ? ` Last output: ${exit.stderr.split('\n').slice(-3).join(' | ')}` : '';
  return `The session host for ${device} ${how}${hint}.${tail}`;
}

export class SessionHost {
  private readonly channel: HostChannel;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitInfo: HostExit | null = null;
  private readonly exitListeners: Array<(exit: HostExit) => void> = [];
  private readonly ready: Promise<number>;
  private hostPid: number | null = null;

  constructor(readonly device: DeviceId, launcher: HostLauncher, private readonly options: SessionHostOptions = {}) {
    this.channel = launcher.launch(device, options.env);
    this.ready = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ModelbayError('EMB-E206', `The session host for ${device} did not start within ${options.startTimeoutMs ?? 60_000} ms.`, { device }));
        this.channel.kill('SIGKILL');
      }, options.startTimeoutMs ?? 60_000);
      timer.unref();
      this.channel.onMessage((raw) => {
        const m = parseHostMessage(raw);
        if (!m) return;
        if (m.kind === 'ready') {
          clearTimeout(timer);
          this.hostPid = m.pid;
          resolve(m.pid);
          return;
        }
        this.settle(m.id, m.ok ? { ok: true, value: m.value } : { ok: false, error: ModelbayError.fromJSON(m.error) });
      });
      this.channel.onExit((exit) => {
        clearTimeout(timer);
        this.exitInfo = exit;
        const error = new ModelbayError('EMB-E203', describeExit(device, exit), { device, code: exit.code, signal: exit.signal });
        reject(error);
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          if (p.timer) clearTimeout(p.timer);
          p.reject(error);
        }
        for (const l of this.exitListeners) l(exit);
      });
    });
    // Observed through start(); this keeps an early death from being an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Resolves with the host's pid once it is ready; rejects with EMB-E203 if it died first. */
  start(): Promise<number> {
    return this.ready;
  }

  get pid(): number | null {
    return this.hostPid ?? this.channel.pid ?? null;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  get exit(): HostExit | null {
    return this.exitInfo;
  }

  onExit(listener: (exit: HostExit) => void): void {
    if (this.exitInfo) listener(this.exitInfo);
    else this.exitListeners.push(listener);
  }

  async request<K extends HostRequestKind>(kind: K, body: Body<K>): Promise<ReplyOf<K>> {
    await this.ready;
    if (this.exitInfo) throw new ModelbayError('EMB-E203', describeExit(this.device, this.exitInfo), { device: this.device });
    const id = this.nextId++;
    const value = await new Promise<unknown>((resolve, reject) => {
      const limit = this.options.requestTimeoutMs?.[kind];
      const timer = limit === undefined ? null : setTimeout(() => {
        // A host that does not answer is stuck in native code: only ending it frees the device.
        this.pending.delete(id);
        reject(new ModelbayError('EMB-E206', `The session host for ${this.device} did not answer "${kind}" within ${limit} ms; it was restarted.`, { device: this.device, kind, limitMs: limit }));
        this.channel.kill('SIGKILL');
      }, limit);
      this.pending.set(id, { kind, resolve, reject, timer });
      this.channel.send({ ...body, kind, id });
    });
    // Embed and serve replies are the hot path: checked by hand (the same rules, and the float count).
    if (kind === 'embed' && isEmbedResult(value)) return value as ReplyOf<K>;
    if (kind === 'serve' && isServeResult(value)) return value as ReplyOf<K>;
    const parsed = REPLY_SCHEMAS[kind].safeParse(value);
    if (!parsed.success || kind === 'embed') {
      const why = parsed.success ? 'its vectors do not match its counts' : parsed.error.message;
      throw new ModelbayError('EMB-E500', `The session host sent a malformed "${kind}" reply: ${why}`, { device: this.device, kind });
    }
    return parsed.data as ReplyOf<K>;
  }

  /** Ask the host to release everything and exit; kill it if it does not within `graceMs`. */
  async shutdown(graceMs = 5_000): Promise<void> {
    if (this.exitInfo) return;
    const gone = new Promise<void>((resolve) => this.onExit(() => resolve()));
    const timer = setTimeout(() => this.channel.kill('SIGKILL'), graceMs);
    timer.unref();
    this.request('shutdown', {}).catch(() => undefined);
    await gone;
    clearTimeout(timer);
  }

  /** End the process now (tests, and hosts that stopped answering). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.channel.kill(signal);
  }

  private settle(id: number, outcome: { ok: true; value: unknown } | { ok: false; error: ModelbayError }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    if (outcome.ok) p.resolve(outcome.value);
    else p.reject(outcome.error);
  }
}
