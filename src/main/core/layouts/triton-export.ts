/**
 * A Triton model repository from locked slots. Per slot: the ONNX model folder
 * (`<name>-onnx/config.pbtxt`, `1/model.onnx` and its external data, hard-linked from the
 * cache or copied), typed from the graph itself; and for text models an ensemble `<name>`
 * that tokenizes (`<name>-tokenize`, Python backend, the slot's tokenizer.json beside it),
 * runs the model and pools (`<name>-pool`), so a client sends text as it does to /v1.
 * A model without a tokenizer is exported as `<name>` alone.
 */
import { copyFile, link, mkdir, realpath, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { ModelbayError } from '../../../shared/errors/errors.js';
import type { ExportedModel, LockedSlot } from '../../../shared/layouts/layouts.js';
import type { ServingKind } from '../../../shared/slots/serving.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import type { HubCacheLayout } from '../artifacts/cache/hf-cache-layout.js';
import { readOnnxGraph } from '../runtime/model-shape.js';
import { chooseOutputName } from '../runtime/output-choice.js';
import { pbEnum, toPbtxt, type PbMessage } from './pbtxt.js';
import { POOLING_MODEL_PY, TOKENIZER_MODEL_PY } from './triton-python.js';

/** Requests Triton may batch into one run: the session host's own batch size. */
export const EXPORT_MAX_BATCH = 32;
/** How long Triton may hold a request for a fuller batch: the serving batcher's wait (2 ms). */
export const EXPORT_QUEUE_DELAY_US = 2000;
/** Tokens per text, as the session host truncates. */
export const EXPORT_MAX_SEQUENCE = 512;

/** ONNX TensorProto element types → Triton data types. */
const TRITON_TYPES: Readonly<Record<number, string>> = {
  1: 'TYPE_FP32', 2: 'TYPE_UINT8', 3: 'TYPE_INT8', 4: 'TYPE_UINT16', 5: 'TYPE_INT16', 6: 'TYPE_INT32', 7: 'TYPE_INT64',
  8: 'TYPE_STRING', 9: 'TYPE_BOOL', 10: 'TYPE_FP16', 11: 'TYPE_FP64', 12: 'TYPE_UINT32', 13: 'TYPE_UINT64', 16: 'TYPE_BF16',
};

const TOKENIZER_OUTPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

export interface TritonSlot {
  lock: LockedSlot;
  name: string;
  kind: ServingKind;
  /** The GPU index Triton should use (in the serving machine's or the pod's numbering); null = CPU. */
  gpu: number | null;
}

export interface WrittenFiles {
  files: string[];
  linked: number;
  copied: number;
}

function unsupported(slot: SlotId, why: string): ModelbayError {
  return new ModelbayError('EMB-E153', `${slot} cannot be exported to Triton: ${why}.`, { slot });
}

function tritonType(slot: SlotId, tensor: string, elemType: number): string {
  const t = TRITON_TYPES[elemType];
  if (!t) throw unsupported(slot, `the tensor ${tensor} has ONNX element type ${elemType}, which Triton has no type for`);
  return t;
}

function tensor(name: string, dataType: string, dims: number[]): PbMessage {
  return [['name', name], ['data_type', pbEnum(dataType)], ['dims', dims]];
}

/** Hard-link a verified cache file into the repository (sharing its bytes), else copy it. */
async function place(from: string, to: string, out: WrittenFiles, root: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const source = await realpath(from);
  try {
    await link(source, to);
    out.linked++;
  } catch {
    await copyFile(source, to);
    out.copied++;
  }
  out.files.push(posix.relative(root.split('\\').join('/'), to.split('\\').join('/')));
}

async function write(path: string, text: string, out: WrittenFiles, root: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, { flag: 'wx' });
  out.files.push(posix.relative(root.split('\\').join('/'), path.split('\\').join('/')));
}

function instanceGroup(gpu: number | null): PbMessage {
  return gpu === null ? [['kind', pbEnum('KIND_CPU')], ['count', 1]] : [['kind', pbEnum('KIND_GPU')], ['count', 1], ['gpus', [gpu]]];
}

/** Writes one slot's models under `root`; returns what a client calls and every folder written. */
export async function exportTritonSlot(s: TritonSlot, layout: HubCacheLayout, root: string, out: WrittenFiles): Promise<ExportedModel> {
  const { lock } = s;
  const modelFile = lock.files.find((f) => f.role === 'model');
  if (!modelFile) throw unsupported(lock.slot, 'the lockfile lists no model file');
  const modelPath = layout.snapshotPath(lock.repo, lock.revision, modelFile.path);
  let graph: ReturnType<typeof readOnnxGraph>;
  try {
    graph = readOnnxGraph(modelPath);
  } catch (e) {
    throw unsupported(lock.slot, `${modelFile.path} cannot be read as an ONNX graph (${(e as Error).message})`);
  }
  const tokenizer = lock.files.find((f) => f.role === 'tokenizer') ?? null;
  const text = tokenizer !== null;
  const onnxName = text ? `${s.name}-onnx` : s.name;

  // Triton batches along the first dimension: only when every tensor's first dimension is free.
  const batched = [...graph.inputs, ...graph.outputs].every((t) => t.dims.length > 0 && t.dims[0] === null);
  const dimsOf = (dims: Array<number | null>): number[] => (batched ? dims.slice(1) : dims).map((d) => (d === null ? -1 : d));
  const outputName = text ? chooseOutputName(graph.outputs.map((o) => ({ name: o.name, rank: o.dims.length || null })), lock.pooling) : null;
  const outputs = text ? graph.outputs.filter((o) => o.name === outputName) : graph.outputs;

  const onnxConfig: PbMessage = [
    ['name', onnxName],
    ['platform', 'onnxruntime_onnx'],
    ['max_batch_size', batched ? EXPORT_MAX_BATCH : 0],
    ['input', { msgs: graph.inputs.map((i) => tensor(i.name, tritonType(lock.slot, i.name, i.elemType), dimsOf(i.dims))) }],
    ['output', { msgs: outputs.map((o) => tensor(o.name, tritonType(lock.slot, o.name, o.elemType), dimsOf(o.dims))) }],
    ['instance_group', { msgs: [instanceGroup(s.gpu)] }],
  ];
  if (batched) onnxConfig.push(['dynamic_batching', { msg: [['max_queue_delay_microseconds', EXPORT_QUEUE_DELAY_US]] }]);
  await write(join(root, onnxName, 'config.pbtxt'), toPbtxt(onnxConfig), out, root);
  await place(modelPath, join(root, onnxName, '1', 'model.onnx'), out, root);
  for (const f of lock.files.filter((x) => x.role === 'external-data')) {
    // ONNX finds external data relative to the model file: keep that relation.
    const rel = posix.relative(posix.dirname(modelFile.path), f.path);
    if (rel.startsWith('..')) throw unsupported(lock.slot, `its external data ${f.path} is not beside or below ${modelFile.path}`);
    await place(layout.snapshotPath(lock.repo, lock.revision, f.path), join(root, onnxName, '1', ...rel.split('/')), out, root);
  }
  if (!text || outputName === null) {
    return { slot: lock.slot, name: s.name, models: [onnxName], instanceKind: s.gpu === null ? 'KIND_CPU' : 'KIND_GPU' };
  }

  const output = graph.outputs.find((o) => o.name === outputName);
  const rank = output?.dims.length ?? 0;
  const feeds = graph.inputs.map((i) => i.name);
  const unknown = feeds.filter((n) => !(TOKENIZER_OUTPUTS as readonly string[]).includes(n));
  if (!feeds.includes('input_ids') || unknown.length > 0) {
    throw unsupported(lock.slot, `a text model's inputs are input_ids, attention_mask and token_type_ids; this one has ${feeds.join(', ')}`);
  }
  const pooling = rank === 2 ? 'pooled' : s.kind === 'sparse' ? 'splade' : s.kind === 'multi-vector' ? 'tokens' : lock.pooling === 'cls' ? 'cls' : 'mean';
  const dims = lock.dims ?? -1;
  const embeddingDims = pooling === 'tokens' ? [-1, dims] : [s.kind === 'sparse' ? -1 : dims];
  const tokenizeName = `${s.name}-tokenize`;
  const poolName = `${s.name}-pool`;
  const cpu: PbMessage = [['kind', pbEnum('KIND_CPU')], ['count', 1]];
  const param = (key: string, value: string): PbMessage => [['key', key], ['value', { msg: [['string_value', value]] }]];

  await write(join(root, tokenizeName, 'config.pbtxt'), toPbtxt([
    ['name', tokenizeName],
    ['backend', 'python'],
    ['max_batch_size', EXPORT_MAX_BATCH],
    ['input', { msgs: [tensor('TEXT', 'TYPE_STRING', [1])] }],
    ['output', { msgs: TOKENIZER_OUTPUTS.map((n) => tensor(n, 'TYPE_INT64', [-1])) }],
    ['instance_group', { msgs: [cpu] }],
    ['parameters', { msg: param('max_sequence_length', String(EXPORT_MAX_SEQUENCE)) }],
  ]), out, root);
  await write(join(root, tokenizeName, '1', 'model.py'), TOKENIZER_MODEL_PY, out, root);
  await place(layout.snapshotPath(lock.repo, lock.revision, tokenizer.path), join(root, tokenizeName, '1', 'tokenizer.json'), out, root);

  const statesType = tritonType(lock.slot, outputName, output?.elemType ?? 1);
  await write(join(root, poolName, 'config.pbtxt'), toPbtxt([
    ['name', poolName],
    ['backend', 'python'],
    ['max_batch_size', EXPORT_MAX_BATCH],
    ['input', { msgs: [tensor('STATES', statesType, rank === 2 ? [-1] : [-1, -1]), tensor('attention_mask', 'TYPE_INT64', [-1])] }],
    ['output', { msgs: [tensor('EMBEDDING', 'TYPE_FP32', embeddingDims)] }],
    ['instance_group', { msgs: [cpu] }],
    ['parameters', { msg: param('pooling', pooling) }],
  ]), out, root);
  await write(join(root, poolName, '1', 'model.py'), POOLING_MODEL_PY, out, root);

  const map = (kind: 'input_map' | 'output_map', key: string, value: string): [string, { msg: PbMessage }] => [kind, { msg: [['key', key], ['value', value]] }];
  await write(join(root, s.name, 'config.pbtxt'), toPbtxt([
    ['name', s.name],
    ['platform', 'ensemble'],
    ['max_batch_size', EXPORT_MAX_BATCH],
    ['input', { msgs: [tensor('TEXT', 'TYPE_STRING', [1])] }],
    ['output', { msgs: [tensor('EMBEDDING', 'TYPE_FP32', embeddingDims)] }],
    ['ensemble_scheduling', { msg: [['step', { msgs: [
      // Only the tensors a later step reads: an ensemble tensor nobody consumes is a config error.
      [['model_name', tokenizeName], ['model_version', -1], map('input_map', 'TEXT', 'TEXT'), ...TOKENIZER_OUTPUTS.filter((n) => feeds.includes(n) || n === 'attention_mask').map((n) => map('output_map', n, n))],
      [['model_name', onnxName], ['model_version', -1], ...feeds.map((n) => map('input_map', n, n)), map('output_map', outputName, 'STATES')],
      [['model_name', poolName], ['model_version', -1], map('input_map', 'STATES', 'STATES'), map('input_map', 'attention_mask', 'attention_mask'), map('output_map', 'EMBEDDING', 'EMBEDDING')],
    ] }]] }],
  ]), out, root);
  // Triton wants a version folder for an ensemble too, even an empty one.
  await mkdir(join(root, s.name, '1'), { recursive: true });
  return { slot: lock.slot, name: s.name, models: [s.name, tokenizeName, onnxName, poolName], instanceKind: s.gpu === null ? 'KIND_CPU' : 'KIND_GPU' };
}
