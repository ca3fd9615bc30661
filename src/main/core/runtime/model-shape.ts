/**
 * The shape of a model as its own files declare it, for the memory estimate: the hidden
 * size, the number of attention layers and heads, the width of its outputs and the size
 * of an activation element. Read from `config.json` where the repository has one (the
 * transformers convention), else from the ONNX graph itself: the main process never loads
 * onnxruntime, so the graph is read as protobuf, seeking past the weights (a 1 GB model
 * costs a few hundred small reads). Never from the catalog's `dims`, which is the
 * embedding width (a SPLADE model's is its 30522-word vocabulary, not its hidden size).
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ModelShape {
  hiddenSize: number;
  /** Attention layers (Softmax / Attention nodes); 0 for models without attention. */
  attentionLayers: number;
  heads: number;
  /** Widest last dimension of any output, and whether that output is per token (rank 3). */
  outputWidth: number;
  perTokenOutput: boolean;
  /** Bytes of one activation element: 2 for float16 / bfloat16 models, else 4. */
  elementBytes: number;
  source: 'config.json' | 'onnx';
}

interface GraphInfo {
  initializers: Map<string, { dims: number[]; dataType: number }>;
  nodes: Array<{ op: string; inputs: string[] }>;
  inputs: Array<{ name: string; dims: Array<number | null>; elemType: number }>;
  outputs: Array<{ name: string; dims: Array<number | null>; elemType: number }>;
}

const FLOAT16 = 10;
const BFLOAT16 = 16;

/** Positional reads with a small window, so skipping a weight tensor costs nothing. */
class FileWindow {
  private buf = Buffer.alloc(0);
  private start = 0;
  constructor(private readonly fd: number, readonly size: number) {}

  byte(pos: number): number {
    if (pos < this.start || pos >= this.start + this.buf.length) this.fill(pos);
    const b = this.buf[pos - this.start];
    if (b === undefined) throw new Error('unexpected end of the ONNX file');
    return b;
  }

  bytes(pos: number, len: number): Buffer {
    if (len > 1 << 20) throw new Error('an ONNX string field is implausibly long');
    const out = Buffer.alloc(len);
    const n = readSync(this.fd, out, 0, len, pos);
    if (n !== len) throw new Error('unexpected end of the ONNX file');
    return out;
  }

  private fill(pos: number): void {
    this.buf = Buffer.alloc(64 * 1024);
    const n = readSync(this.fd, this.buf, 0, this.buf.length, pos);
    this.buf = this.buf.subarray(0, n);
    this.start = pos;
  }
}

class Cursor {
  constructor(private readonly w: FileWindow, public pos: number, readonly end: number) {}
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.w.byte(this.pos++);
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error('a malformed varint in the ONNX file');
  }
  /** Next field: its number, wire type and, for length-delimited fields, [start, end). */
  field(): { no: number; wire: number; start: number; end: number } {
    const key = this.varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    const start = this.pos;
    switch (wire) {
      case 0: this.varint(); break;
      case 1: this.pos += 8; break;
      case 5: this.pos += 4; break;
      case 2: {
        const len = this.varint();
        const s = this.pos;
        this.pos += len;
        if (this.pos > this.end) throw new Error('an ONNX field runs past its message');
        return { no, wire, start: s, end: this.pos };
      }
      default: throw new Error(`unsupported protobuf wire type ${wire}`);
    }
    return { no, wire, start, end: this.pos };
  }
  sub(start: number, end: number): Cursor {
    return new Cursor(this.w, start, end);
  }
  string(start: number, end: number): string {
    return this.w.bytes(start, end - start).toString('utf8');
  }
  varintAt(start: number): number {
    return new Cursor(this.w, start, this.end).varint();
  }
}

function readValueInfo(c: Cursor): { name: string; dims: Array<number | null>; elemType: number } {
  let name = '';
  const dims: Array<number | null> = [];
  let elemType = 0;
  while (!c.done) {
    const f = c.field();
    if (f.no === 1 && f.wire === 2) name = c.string(f.start, f.end);
    else if (f.no === 2 && f.wire === 2) {
      const type = c.sub(f.start, f.end);
      while (!type.done) {
        const t = type.field();
        if (t.no !== 1 || t.wire !== 2) continue; // tensor_type
        const tensor = type.sub(t.start, t.end);
        while (!tensor.done) {
          const tf = tensor.field();
          if (tf.no === 1 && tf.wire === 0) elemType = tensor.varintAt(tf.start);
          if (tf.no !== 2 || tf.wire !== 2) continue; // shape
          const shape = tensor.sub(tf.start, tf.end);
          while (!shape.done) {
            const d = shape.field();
            if (d.no !== 1 || d.wire !== 2) continue;
            const dim = shape.sub(d.start, d.end);
            let value: number | null = null;
            while (!dim.done) {
              const df = dim.field();
              if (df.no === 1 && df.wire === 0) value = dim.varintAt(df.start);
            }
            dims.push(value);
          }
        }
      }
    }
  }
  return { name, dims, elemType };
}

/** The graph's nodes, initializer shapes and input/output shapes, without reading any weights. */
export function readOnnxGraph(path: string): GraphInfo {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const w = new FileWindow(fd, size);
    const model = new Cursor(w, 0, size);
    const info: GraphInfo = { initializers: new Map(), nodes: [], inputs: [], outputs: [] };
    while (!model.done) {
      const f = model.field();
      if (f.no !== 7 || f.wire !== 2) continue;
      const g = model.sub(f.start, f.end);
      while (!g.done) {
        const gf = g.field();
        if (gf.wire !== 2) continue;
        const c = g.sub(gf.start, gf.end);
        if (gf.no === 1) {
          let op = '';
          const inputs: string[] = [];
          while (!c.done) {
            const nf = c.field();
            if (nf.no === 1 && nf.wire === 2) inputs.push(c.string(nf.start, nf.end));
            else if (nf.no === 4 && nf.wire === 2) op = c.string(nf.start, nf.end);
          }
          info.nodes.push({ op, inputs });
        } else if (gf.no === 5) {
          let name = '';
          const dims: number[] = [];
          let dataType = 0;
          while (!c.done) {
            const tf = c.field();
            if (tf.no === 1 && tf.wire === 0) dims.push(c.varintAt(tf.start));
            else if (tf.no === 1 && tf.wire === 2) {
              const packed = c.sub(tf.start, tf.end);
              while (!packed.done) dims.push(packed.varint());
            } else if (tf.no === 2 && tf.wire === 0) dataType = c.varintAt(tf.start);
            else if (tf.no === 8 && tf.wire === 2) name = c.string(tf.start, tf.end);
          }
          info.initializers.set(name, { dims, dataType });
        } else if (gf.no === 11) info.inputs.push(readValueInfo(c));
        else if (gf.no === 12) info.outputs.push(readValueInfo(c));
      }
    }
    return info;
  } finally {
    closeSync(fd);
  }
}

/** The shape from the graph: the word-embedding table that input ids index, the attention nodes, the outputs. */
export function shapeFromGraph(g: GraphInfo): ModelShape {
  const idsInput = g.inputs.find((i) => i.name === 'input_ids') ?? g.inputs.find((i) => i.elemType === 7) ?? g.inputs[0];
  let hidden: number | null = null;
  if (idsInput) {
    for (const n of g.nodes) {
      if (n.op !== 'Gather' || n.inputs[1] !== idsInput.name) continue;
      const table = g.initializers.get(n.inputs[0] ?? '');
      if (table && table.dims.length === 2) {
        hidden = table.dims[1] ?? null;
        break;
      }
    }
  }
  let outputWidth = 0;
  let perToken = false;
  for (const o of g.outputs) {
    const last = o.dims.at(-1);
    if (typeof last === 'number' && last > outputWidth) {
      outputWidth = last;
      perToken = o.dims.length >= 3;
    }
  }
  hidden ??= outputWidth > 0 ? outputWidth : 768;
  const attentionLayers = g.nodes.filter((n) => n.op === 'Softmax' || n.op === 'Attention' || n.op === 'MultiHeadAttention').length;
  let half = 0;
  let full = 0;
  for (const t of g.initializers.values()) {
    if (t.dataType === FLOAT16 || t.dataType === BFLOAT16) half++;
    else if (t.dataType === 1) full++;
  }
  return {
    hiddenSize: hidden,
    attentionLayers,
    heads: Math.max(1, Math.round(hidden / 64)),
    outputWidth: outputWidth || hidden,
    perTokenOutput: perToken,
    elementBytes: half > full ? 2 : 4,
    source: 'onnx',
  };
}

/** config.json beside the model or the tokenizer (repo root, or the folder above `onnx/`). */
function findConfig(modelPath: string, tokenizerPath: string | null): string | null {
  const dirs = [dirname(modelPath), dirname(dirname(modelPath))];
  if (tokenizerPath) dirs.unshift(dirname(tokenizerPath));
  for (const d of dirs) {
    const p = join(d, 'config.json');
    if (existsSync(p)) return p;
  }
  return null;
}

function positive(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 1_000_000 ? v : null;
}

/**
 * The model's shape; the ONNX graph is always read (it knows the outputs), config.json
 * refines hidden size, layers and heads where present. Throws when the model file cannot
 * be read as ONNX.
 */
export function readModelShape(modelPath: string, tokenizerPath: string | null = null): ModelShape {
  const shape = shapeFromGraph(readOnnxGraph(modelPath));
  const configPath = findConfig(modelPath, tokenizerPath);
  if (!configPath) return shape;
  try {
    const c = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    const hidden = positive(c['hidden_size']) ?? positive(c['d_model']) ?? positive(c['n_embd']) ?? positive(c['dim']);
    const layers = positive(c['num_hidden_layers']) ?? positive(c['n_layer']) ?? positive(c['n_layers']);
    const heads = positive(c['num_attention_heads']) ?? positive(c['n_head']) ?? positive(c['n_heads']);
    return {
      ...shape,
      hiddenSize: hidden ?? shape.hiddenSize,
      attentionLayers: layers ?? shape.attentionLayers,
      heads: heads ?? (hidden ? Math.max(1, Math.round(hidden / 64)) : shape.heads),
      source: 'config.json',
    };
  } catch {
    return shape;
  }
}

/**
 * Shapes per slot, learnt from the slot's files when they are in place; the estimator
 * reads them synchronously. A file that cannot be read leaves the slot unknown (the
 * estimate then assumes a BERT-base-like shape) — the load itself will say what is wrong.
 */
export class ModelShapeCache {
  private readonly shapes = new Map<string, { key: string; shape: ModelShape }>();

  get(slot: string): ModelShape | null {
    return this.shapes.get(slot)?.shape ?? null;
  }

  forget(slot: string): void {
    this.shapes.delete(slot);
  }

  /** Read the shape of `modelPath` for `slot` unless it is already known for that file. Returns whether it changed. */
  learn(slot: string, modelPath: string, tokenizerPath: string | null): boolean {
    const key = `${modelPath}\n${tokenizerPath ?? ''}`;
    if (this.shapes.get(slot)?.key === key) return false;
    try {
      this.shapes.set(slot, { key, shape: readModelShape(modelPath, tokenizerPath) });
      return true;
    } catch {
      this.shapes.delete(slot);
      return false;
    }
  }
}
