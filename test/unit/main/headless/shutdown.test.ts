/** The headless stop: steps last added first, a second signal runs the synchronous forms, a start under way is waited for. */
import { describe, expect, it } from 'vitest';
import { Shutdown, StopRequested, trackHosts } from '../../../../src/main/headless/shutdown.js';
import type { HostChannel, HostExit, HostLauncher } from '../../../../src/main/core/runtime/launcher.js';

function harness(): { shutdown: Shutdown; lines: string[]; exits: number[]; exited: Promise<number> } {
  const lines: string[] = [];
  const exits: number[] = [];
  let onExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => { onExit = resolve; });
  const shutdown = new Shutdown({ log: (m) => lines.push(m), exit: (code) => { exits.push(code); onExit(code); } });
  return { shutdown, lines, exits, exited };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('Shutdown', () => {
  it('runs the steps last added first, then exits 0', async () => {
    const h = harness();
    const order: string[] = [];
    h.shutdown.add({ graceful: () => { order.push('app'); return Promise.resolve(); } });
    h.shutdown.add({ graceful: () => { order.push('server'); return Promise.resolve(); } });
    h.shutdown.stop('SIGINT');
    expect(await h.exited).toBe(0);
    expect(order).toEqual(['server', 'app']);
    expect(h.lines).toEqual(['Stopping Modelbay…']);
  });

  it('a second signal while a step runs: the synchronous forms of the unfinished steps, the running one included, then exit 1', async () => {
    const h = harness();
    const slow = deferred();
    const now: string[] = [];
    h.shutdown.add({ graceful: () => Promise.resolve(), now: () => now.push('temp folder') });
    h.shutdown.add({ graceful: () => slow.promise, now: () => now.push('hosts') });
    h.shutdown.add({ graceful: () => Promise.resolve(), now: () => now.push('finished already') });
    h.shutdown.stop('SIGINT');
    await expect.poll(() => h.lines.length).toBe(1);
    // Let the first step finish and the second start.
    await new Promise((r) => setImmediate(r));
    h.shutdown.stop('SIGINT');
    expect(h.exits).toEqual([1]);
    expect(now).toEqual(['hosts', 'temp folder']);
    expect(h.lines[1]).toBe('SIGINT again: stopping now, without waiting.');
    slow.resolve();
    await new Promise((r) => setImmediate(r));
    expect(h.exits).toEqual([1]);
  });

  it('a failing step is reported in one line (no stack) and the exit is 1', async () => {
    const h = harness();
    h.shutdown.add({ graceful: () => Promise.reject(new Error('the disk is gone')) });
    h.shutdown.stop('SIGTERM');
    expect(await h.exited).toBe(1);
    expect(h.lines).toEqual(['Stopping Modelbay…', 'Stopping: the disk is gone']);
  });

  it('a signal during start-up waits for the phase under way, whose steps then run too', async () => {
    const h = harness();
    const phase = deferred();
    const order: string[] = [];
    h.shutdown.add({ graceful: () => { order.push('temp folder'); return Promise.resolve(); } });
    const startup = (async () => {
      await phase.promise;
      h.shutdown.add({ graceful: () => { order.push('app'); return Promise.resolve(); } });
      h.shutdown.checkpoint();
      order.push('served');
    })();
    h.shutdown.starting(startup);
    h.shutdown.stop('SIGINT');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    phase.resolve();
    expect(await h.exited).toBe(0);
    expect(order).toEqual(['app', 'temp folder']);
    await expect(startup).rejects.toBeInstanceOf(StopRequested);
  });

  it('fail(code) stops what was started and exits with the code', async () => {
    const h = harness();
    const order: string[] = [];
    h.shutdown.add({ graceful: () => { order.push('temp folder'); return Promise.resolve(); } });
    h.shutdown.fail(2);
    expect(await h.exited).toBe(2);
    expect(order).toEqual(['temp folder']);
  });
});

describe('trackHosts', () => {
  it('kills the hosts still running, not those that ended', () => {
    const killed: string[] = [];
    const exits = new Map<string, (e: HostExit) => void>();
    const inner: HostLauncher = {
      launch(device): HostChannel {
        return {
          pid: 1, send: () => undefined, onMessage: () => undefined,
          onExit: (l) => { exits.set(device, l); },
          kill: (signal) => { killed.push(`${device} ${signal ?? ''}`); },
        };
      },
    };
    const hosts = trackHosts(inner);
    hosts.launcher.launch('cpu');
    hosts.launcher.launch('cuda:0');
    exits.get('cuda:0')?.({ code: 0, signal: null, stderr: '' });
    hosts.killAll();
    expect(killed).toEqual(['cpu SIGKILL']);
  });
});
