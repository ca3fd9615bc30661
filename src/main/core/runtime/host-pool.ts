/**
 * One session host per device, started on demand. A host lives while it has leases
 * (loads in progress and open sessions); when the last one ends it is shut down, which
 * gives back everything it held, the CUDA context included. A host that dies reports
 * each of its open sessions as lost; the next lease starts a fresh host.
 */
import { ModelbayError } from '../../../shared/errors/errors.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import type { DeviceId } from '../../../shared/slots/state.js';
import type { HostExit, HostLauncher } from './launcher.js';
import { describeExit, SessionHost, type SessionHostOptions } from './session-host.js';

export interface HostPoolOptions {
  launcher: HostLauncher;
  host?: SessionHostOptions;
  /** A session died with its host: the app wires this to `registry.sessionLost(slot, error)`. */
  onSessionLost?: (slot: SlotId, error: ModelbayError) => void;
  /** Any host ended (for the activity log and telemetry); `expected` is false for crashes. */
  onHostExit?: (device: DeviceId, exit: HostExit, expected: boolean) => void;
  /**
   * Extra environment for a device's host: CUDA_VISIBLE_DEVICES=<MIG UUID> for a MIG
   * instance. May throw (EMB-E309 for an instance that is gone): the lease is then refused.
   */
  deviceEnv?: (device: DeviceId) => Record<string, string>;
}

export interface HostLease {
  readonly host: SessionHost;
  /** Mark an open session (after a successful load) so a crash can report it. */
  open(session: string, slot: SlotId, onLost: (error: ModelbayError) => void): void;
  /** The session is gone; the lease ends and the host stops if nothing else holds it. */
  close(session?: string): Promise<void>;
}

interface Entry {
  host: SessionHost;
  leases: number;
  sessions: Map<string, { slot: SlotId; onLost: (error: ModelbayError) => void }>;
  stopping: boolean;
}

export class HostPool {
  private readonly entries = new Map<DeviceId, Entry>();
  private readonly stopping = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: HostPoolOptions) {}

  /** Whether a live host (and so, on a GPU, a CUDA context) already exists for `device`. */
  hasHost(device: DeviceId): boolean {
    const e = this.entries.get(device);
    return e !== undefined && e.host.alive && !e.stopping;
  }

  hosts(): Array<{ device: DeviceId; pid: number | null; sessions: string[] }> {
    return [...this.entries.values()].map((e) => ({ device: e.host.device, pid: e.host.pid, sessions: [...e.sessions.keys()] }));
  }

  host(device: DeviceId): SessionHost | null {
    return this.entries.get(device)?.host ?? null;
  }

  /** A lease on the device's host, starting it if needed. Rejects with EMB-E203 if it cannot start. */
  async acquire(device: DeviceId): Promise<HostLease> {
    if (this.closed) throw new ModelbayError('EMB-E009', 'The session hosts are shut down.', { device });
    let entry = this.entries.get(device);
    if (!entry || !entry.host.alive || entry.stopping) entry = this.launch(device);
    entry.leases++;
    const e = entry;
    let closed = false;
    const lease: HostLease = {
      host: e.host,
      open: (session, slot, onLost) => {
        e.sessions.set(session, { slot, onLost });
      },
      close: async (session) => {
        if (closed) return;
        closed = true;
        if (session !== undefined) e.sessions.delete(session);
        e.leases--;
        if (e.leases === 0) await this.stop(e);
      },
    };
    try {
      await e.host.start();
    } catch (err) {
      await lease.close();
      throw err;
    }
    return lease;
  }

  /** Stop every host (app exit). */
  async shutdown(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.values()].map((e) => this.stop(e)));
    await Promise.all([...this.stopping]);
  }

  private launch(device: DeviceId): Entry {
    const env = this.options.deviceEnv?.(device) ?? {};
    const host = new SessionHost(device, this.options.launcher, { ...this.options.host, env });
    const entry: Entry = { host, leases: 0, sessions: new Map(), stopping: false };
    this.entries.set(device, entry);
    host.onExit((exit) => {
      if (this.entries.get(device) === entry) this.entries.delete(device);
      const expected = entry.stopping;
      const lost = [...entry.sessions.values()];
      entry.sessions.clear();
      if (!expected && lost.length > 0) {
        const error = new ModelbayError('EMB-E203', `${describeExit(device, exit)} Its models were unloaded; loading one starts a new host.`, {
          device, code: exit.code, signal: exit.signal, slots: lost.map((s) => s.slot),
        });
        for (const s of lost) {
          s.onLost(error);
          this.options.onSessionLost?.(s.slot, error);
        }
      }
      this.options.onHostExit?.(device, exit, expected);
    });
    return entry;
  }

  private async stop(e: Entry): Promise<void> {
    if (e.stopping) return;
    e.stopping = true;
    if (this.entries.get(e.host.device) === e) this.entries.delete(e.host.device);
    const p = e.host.shutdown();
    this.stopping.add(p);
    try {
      await p;
    } finally {
      this.stopping.delete(p);
    }
  }
}
