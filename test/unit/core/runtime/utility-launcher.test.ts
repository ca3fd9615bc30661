import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UtilityProcessLauncher, type UtilityProcessApi, type UtilityProcessLike } from '../../../../src/main/core/runtime/utility-launcher.js';
import type { HostExit } from '../../../../src/main/core/runtime/launcher.js';

class FakeUtilityProcess extends EventEmitter implements UtilityProcessLike {
  readonly pid = 4321;
  readonly stderr = new PassThrough();
  readonly posted: unknown[] = [];
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  kill(): boolean {
    this.emit('exit', 15);
    return true;
  }
}

describe('UtilityProcessLauncher (Electron, injected)', () => {
  it('forks the built entry with a service name and relays messages and exit', async () => {
    const forks: Array<{ path: string; args?: string[]; options?: object; child: FakeUtilityProcess }> = [];
    const api: UtilityProcessApi = {
      fork: (path, args, options) => {
        const child = new FakeUtilityProcess();
        forks.push({ path, args, options, child });
        return child;
      },
    };
    const channel = new UtilityProcessLauncher({ utilityProcess: api, entry: '/app/out/main/host.js' }).launch('cuda:1');
    const f = forks[0];
    if (!f) throw new Error('not forked');
    expect(f.path).toBe('/app/out/main/host.js');
    expect(f.args).toEqual(['--device', 'cuda:1']);
    expect(f.options).toMatchObject({ serviceName: 'Modelbay session host (cuda:1)' });
    expect(channel.pid).toBe(4321);
    const got: unknown[] = [];
    channel.onMessage((m) => got.push(m));
    f.child.emit('message', { kind: 'ready', pid: 4321 });
    expect(got).toEqual([{ kind: 'ready', pid: 4321 }]);
    // A batch from the host is unpacked into its messages, in order.
    f.child.emit('message', [{ kind: 'reply', id: 7, ok: true, value: 1 }, { kind: 'reply', id: 8, ok: true, value: 2 }]);
    expect(got.slice(1)).toEqual([{ kind: 'reply', id: 7, ok: true, value: 1 }, { kind: 'reply', id: 8, ok: true, value: 2 }]);
    // Messages sent in one turn of the event loop leave together, as one postMessage.
    channel.send({ kind: 'stats', id: 1 });
    channel.send({ kind: 'stats', id: 3 });
    expect(f.child.posted).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(f.child.posted).toEqual([[{ kind: 'stats', id: 1 }, { kind: 'stats', id: 3 }]]);
    f.child.stderr.write('boom\n');
    const exits: HostExit[] = [];
    channel.onExit((e) => exits.push(e));
    channel.kill('SIGKILL');
    expect(exits).toEqual([{ code: 15, signal: 'SIGKILL', stderr: 'boom' }]);
    channel.send({ kind: 'stats', id: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(f.child.posted).toHaveLength(1);
  });

  it('posts a body that is a view of a larger buffer as its own bytes: a structured clone would carry the whole buffer', async () => {
    const child = new FakeUtilityProcess();
    const channel = new UtilityProcessLauncher({ utilityProcess: { fork: () => child }, entry: '/app/out/main/host.js' }).launch('cpu');
    // A body read from a socket is a slice of the chunk it arrived in, beside other requests' bytes.
    const chunk = Buffer.from('GET /other HTTP/1.1\r\n\r\n{"model":"E1","input":"x"}');
    const body = chunk.subarray(chunk.indexOf('{'));
    channel.send({ kind: 'serve', id: 1, session: 'E1#1', slot: 'E1', route: '/v1/embeddings', model: 'E1', body });
    channel.send({ kind: 'stats', id: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    const [serve, stats] = child.posted[0] as Array<{ body?: Uint8Array }>;
    expect(Buffer.from(serve?.body ?? []).toString()).toBe('{"model":"E1","input":"x"}');
    expect(serve?.body?.buffer.byteLength).toBe(body.length);
    expect(stats).toEqual({ kind: 'stats', id: 2 });
  });
});
