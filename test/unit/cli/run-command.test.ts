/**
 * What the CLI says about what a command did, against a scripted server: names resolved
 * through aliases, the slots a load evicted, and what `rm` really deleted when another
 * slot shares the files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelbayError } from '../../../src/shared/errors/errors.js';
import type { AppSnapshot, CommandName } from '../../../src/shared/contract/api.js';
import type { ReadinessReport, SlotReadiness } from '../../../src/shared/artifacts/artifacts.js';
import type { SlotId } from '../../../src/shared/slots/slots.js';
import { parseCommand, type ParsedCommand } from '../../../src/cli/commands-table.js';
import { runCommand } from '../../../src/cli/run-command.js';
import type { ServerClient } from '../../../src/cli/server-client.js';
import { appSnapshot, slotSnapshot } from '../renderer/snapshot-fixture.js';
import { SLOT_IDS } from '../../../src/shared/slots/slots.js';

type Script = Partial<Record<CommandName, (input: { slot?: SlotId }) => unknown>>;

function scripted(script: Script): { client: ServerClient; sent: Array<{ name: CommandName; input: unknown }> } {
  const sent: Array<{ name: CommandName; input: unknown }> = [];
  const client = {
    url: 'http://127.0.0.1:1/',
    command: (name: CommandName, input: { slot?: SlotId } = {}) => {
      sent.push({ name, input });
      const answer = script[name];
      if (!answer) return Promise.reject(new Error(`unexpected command ${name}`));
      return Promise.resolve(answer(input));
    },
    // No event stream: commands that follow downloads see none.
    events: () => Promise.resolve(),
  } as unknown as ServerClient;
  return { client, sent };
}

async function runCli(argv: string[], client: ServerClient): Promise<string> {
  let out = '';
  await runCommand(parseCommand(argv) as ParsedCommand, client, { out: (t) => (out += t), err: () => undefined, isTTY: false });
  return out;
}

function readiness(slot: SlotId, repo: string, present: boolean): SlotReadiness {
  return {
    slot, status: present ? 'ready' : 'missing', reason: null, code: null, repo, revision: 'main', totalBytes: 100, presentBytes: present ? 100 : 0,
    files: [{ path: 'onnx/model.onnx', size: 100, present, verified: present }],
  };
}

function report(slots: SlotReadiness[]): ReadinessReport {
  return { at: 1, ready: slots.filter((s) => s.status === 'ready').length, total: 13, totalBytes: 0, presentBytes: 0, missingBytes: 0, computeMs: 1, slots };
}

describe('modelbay commands: what they report', () => {
  it('a slot named by its alias is resolved before the command is sent', async () => {
    const snap = appSnapshot();
    snap.settings.settings.slots.E8 = { pinned: false, preload: false, idleTtlMs: null, source: null, alias: 'minilm' };
    const { client, sent } = scripted({
      getSnapshot: () => snap,
      pin: ({ slot }) => slotSnapshot(slot as SlotId, { state: 'ready', pinned: true, device: 'cpu' }),
    });
    expect(await runCli(['pin', 'minilm'], client)).toContain('E8 Graph: ready (pinned)');
    expect(sent.filter((s) => s.name === 'pin')).toEqual([{ name: 'pin', input: { slot: 'E8' } }]);
  });

  it('an unknown name is a coded error naming it', async () => {
    const { client } = scripted({ getSnapshot: () => appSnapshot() });
    await expect(runCli(['load', 'nosuch'], client)).rejects.toMatchObject({ code: 'EMB-E022', message: expect.stringContaining('"nosuch"') as unknown });
  });

  it('load names the slots it evicted to make room', async () => {
    let loaded: SlotId[] = ['E1', 'E2'];
    const snapshot = (): AppSnapshot => appSnapshot({ slots: SLOT_IDS.map((id) => slotSnapshot(id, { state: loaded.includes(id) ? 'loaded' : 'ready' })) });
    const { client } = scripted({
      getSnapshot: snapshot,
      load: ({ slot }) => {
        loaded = ['E2', slot as SlotId];
        return { ...slotSnapshot(slot as SlotId, { state: 'loaded', device: 'cpu' }), alreadyLoaded: false };
      },
    });
    expect(await runCli(['load', 'E5'], client)).toBe('E5 Causal: loaded on cpu (evicted E1 to make room)\n');
    loaded = ['E1', 'E2'];
    expect(JSON.parse(await runCli(['load', 'E5', '--json'], client))).toMatchObject({ id: 'E5', evicted: ['E1'] });
  });

  it('rm of a slot whose files another slot uses says nothing was deleted and the slot stays ready', async () => {
    const shared = report([readiness('E2', 'jina/small', true), readiness('E3', 'jina/small', true), readiness('E4', 'jina/small', true)]);
    const { client } = scripted({ getSnapshot: () => appSnapshot({ readiness: shared }), clearSlot: () => shared });
    const out = await runCli(['rm', 'E3'], client);
    expect(out).toContain("Nothing was deleted: E3's files are shared with E2, E4");
    expect(out).toContain('E3 stays ready');
    expect(out).not.toContain('were deleted.');
  });

  it('rm of a slot with files of its own says they were deleted', async () => {
    const { client } = scripted({
      getSnapshot: () => appSnapshot({ readiness: report([readiness('E1', 'e5/large', true)]) }),
      clearSlot: () => report([readiness('E1', 'e5/large', false)]),
    });
    expect(await runCli(['rm', 'E1'], client)).toContain("E1's files were deleted.");
  });

  it('rm that keeps a shared file says in words what the slot is left with', async () => {
    const both = (present: boolean): SlotReadiness => ({
      ...readiness('E1', 'e5/large', true), presentBytes: present ? 200 : 100,
      files: [{ path: 'onnx/model.onnx', size: 100, present, verified: present }, { path: 'tokenizer.json', size: 100, present: true, verified: true }],
    });
    const sharer: SlotReadiness = { ...readiness('E2', 'e5/large', true), files: [{ path: 'tokenizer.json', size: 100, present: true, verified: true }] };
    const { client } = scripted({
      getSnapshot: () => appSnapshot({ readiness: report([both(true), sharer]) }),
      clearSlot: () => report([{ ...both(false), status: 'partial' }, sharer]),
    });
    const out = await runCli(['rm', 'E1'], client);
    expect(out).toContain("Some of E1's files were deleted (100 B); the ones shared with E2 were kept. Some of E1's model files are missing.");
    expect(out).not.toMatch(/is partial/);
  });
});

describe('modelbay counts: "1 slot", "1 file", never "slot(s)"', () => {
  it('lock, gpu and pull count in words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mb-cli-count-'));
    try {
      const locked = {
        slot: 'E1' as const, repo: 'org/e1', revision: 'a'.repeat(40), files: [{ path: 'model.onnx', role: 'model' as const, sha256: 'b'.repeat(64), size: 2048 }],
        variant: null, pooling: 'mean' as const, dims: 8, device: 'cpu', alias: null, pinned: false, preload: false,
      };
      const snap = appSnapshot({ runtime: { mode: 'headless', version: '0.1.0', cudaProvider: false, platform: 'linux-x64', hosts: [{ device: 'cpu', pid: 42, sessions: 1 }] } });
      const { client } = scripted({
        getSnapshot: () => snap,
        lockLayout: () => ({ lock: { lockfileVersion: 1, createdAt: new Date(0).toISOString(), modelbay: 'test', slots: [locked] }, skipped: [] }),
        download: () => Promise.reject(new ModelbayError('EMB-E107', 'The connection dropped.', {})),
      });
      const lock = await runCli(['lock', '--out', join(dir, 'one.lock.json')], client);
      expect(lock).toContain(`Locked 1 slot to ${join(dir, 'one.lock.json')}:`);
      expect(lock).toContain('1 file, 2.0 KiB');
      expect(await runCli(['gpu'], client)).toContain('Session host cpu: pid 42, 1 model');
      await expect(runCli(['pull', 'E1'], client)).rejects.toMatchObject({ message: '1 slot could not be pulled: E1.' });
      for (const out of [lock, await runCli(['gpu'], client)]) expect(out).not.toMatch(/\(s\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('modelbay ls: an empty slot', () => {
  const withEmpty = (): AppSnapshot => appSnapshot({
    catalog: SLOT_IDS.map((slot) => ({
      slot, status: slot === 'E5' ? 'none' : 'real', repo: slot === 'E5' ? null : `org/${slot.toLowerCase()}`, revision: slot === 'E5' ? null : 'main',
      variant: slot === 'E5' ? null : 'fp32', files: [], dims: 384, pooling: 'mean', license: null, gated: false, note: null,
    })),
    slots: SLOT_IDS.map((id) => slotSnapshot(id, { state: id === 'E5' ? 'missing' : 'ready' })),
    readiness: report(SLOT_IDS.map((slot) => slot === 'E5'
      ? { slot, status: 'no-model', reason: 'No default model — choose one.', code: 'EMB-E118', repo: null, revision: null, totalBytes: 0, presentBytes: 0, files: [] }
      : readiness(slot, `org/${slot.toLowerCase()}`, true))),
  });

  it('reads "no model" (as the README says), not "missing", in the table and with --json', async () => {
    const { client } = scripted({ getSnapshot: withEmpty });
    const rows = JSON.parse(await runCli(['ls', '--json'], client)) as Array<{ slot: string; state: string; ready: string }>;
    expect(rows.find((r) => r.slot === 'E5')).toMatchObject({ state: 'no model', ready: 'no model' });
    expect(rows.find((r) => r.slot === 'E1')).toMatchObject({ state: 'ready', ready: 'ready' });
    const line = (await runCli(['ls'], client)).split('\n').find((l) => l.startsWith('E5 '));
    expect(line).toMatch(/^E5\s+\S+\s+no model\s+no model\s+-\s+-\s+-$/);
    expect(line).not.toMatch(/missing|no-model/);
  });
});
