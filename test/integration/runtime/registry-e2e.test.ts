import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../src/main/core/registry/registry.js';
import { SlotManager } from '../../../src/main/core/slots/slot-manager.js';
import { estimateSessionBytes } from '../../../src/main/core/runtime/memory-estimate.js';
import { OnnxSessionFactory, splitEmbeddings, type OnnxModelSession } from '../../../src/main/core/runtime/session-factory.js';
import type { HostPool } from '../../../src/main/core/runtime/host-pool.js';
import { writeEmbeddingModel, type EmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { filesOf, processGone, testPool } from './test-hosts.js';

describe('registry with the onnxruntime factory, end to end', () => {
  let dir: string;
  let model: EmbeddingModel;
  let pool: HostPool;
  let registry: ModelRegistry<OnnxModelSession>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelbay-registry-'));
    model = await writeEmbeddingModel({ dir, vocab: 5000, dim: 48 });
    const fileBytes = (model.files[0]?.bytes ?? 0);
    // Wired as the app does: a lost session goes to the registry.
    pool = testPool({ onSessionLost: (slot, error) => void registry.sessionLost(slot, error) });
    const factory = new OnnxSessionFactory({ pool, resolve: () => Promise.resolve(filesOf(model)), loadOptions: { intraOpNumThreads: 1, batchSize: 8, maxSequenceLength: 64 } });
    registry = new ModelRegistry({
      factory,
      slots: new SlotManager(),
      configs: [{ id: 'E1', estimateBytes: estimateSessionBytes({ fileBytes, device: 'cpu', shape: { hiddenSize: 48, attentionLayers: 0, heads: 1, outputWidth: 48, perTokenOutput: false, elementBytes: 4, source: 'onnx' }, batchSize: 8, maxSequenceLength: 64 }) }, { id: 'E2', estimateBytes: 64 * 1024 * 1024 }],
    });
  });

  afterAll(async () => {
    await registry.shutdown();
    await pool.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('load → embed → unload → the host process is gone', async () => {
    const session = await registry.get('E1');
    const snap = registry.snapshot('E1');
    expect(snap.state).toBe('loaded');
    expect(snap.measuredBytes).toBe(session.measuredBytes);
    const v = splitEmbeddings(await session.embed(['hello world', 'cat']));
    expect(Array.from(v[0] ?? []).map((x) => Math.round(x * 1e4))).toEqual(Array.from(model.reference('hello world')).map((x) => Math.round(x * 1e4)));
    const pid = session.pid;
    expect(processGone(pid)).toBe(false);
    await registry.unload('E1');
    expect(registry.snapshot('E1').state).toBe('ready');
    expect(pool.hosts()).toEqual([]);
    expect(processGone(pid)).toBe(true);
  });

  it('a killed host marks its slot failed with EMB-E203; the next get loads again', async () => {
    const s = await registry.get('E2');
    const changed = new Promise<void>((resolve) => {
      const off = registry.on((e) => {
        if (e.type === 'slot' && e.slot.id === 'E2' && e.slot.state === 'failed') {
          off();
          resolve();
        }
      });
    });
    process.kill(s.pid, 'SIGKILL');
    await changed;
    expect(registry.snapshot('E2').error?.code).toBe('EMB-E203');
    const again = await registry.get('E2');
    expect(again.pid).not.toBe(s.pid);
    expect(registry.snapshot('E2').state).toBe('loaded');
    await registry.unload('E2');
    expect(processGone(again.pid)).toBe(true);
  });
});
