import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelShape } from '../../../../src/main/core/runtime/model-shape.js';
import { writeEmbeddingModel } from '../../../../src/devkit/onnx/embedding-model.js';

const dir = mkdtempSync(join(tmpdir(), 'modelbay-shape-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('readModelShape', () => {
  it('reads the hidden size from the word-embedding table the input ids index, inline or as external data', async () => {
    for (const [i, externalData] of [false, true].entries()) {
      const m = await writeEmbeddingModel({ dir: join(dir, `m${i}`), vocab: 1000, dim: 96, externalData, outputs: ['sentence_embedding', 'last_hidden_state'] });
      const shape = readModelShape(m.modelPath, m.tokenizerPath);
      expect(shape).toMatchObject({ hiddenSize: 96, attentionLayers: 0, outputWidth: 96, elementBytes: 4, source: 'onnx' });
    }
  });

  it('config.json beside the tokenizer refines hidden size, layers and heads', async () => {
    const m = await writeEmbeddingModel({ dir: join(dir, 'cfg'), vocab: 500, dim: 32 });
    writeFileSync(join(dir, 'cfg', 'config.json'), JSON.stringify({ hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12 }));
    expect(readModelShape(m.modelPath, m.tokenizerPath)).toMatchObject({ hiddenSize: 384, attentionLayers: 6, heads: 12, source: 'config.json' });
  });

  it('a file that is not ONNX is an error, not a guess', () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    expect(() => readModelShape(bad)).toThrow();
  });
});
