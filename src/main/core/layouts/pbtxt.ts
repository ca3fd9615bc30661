/**
 * A writer of protobuf text format, the language of Triton's `config.pbtxt` (a ModelConfig
 * message). Values are written by kind: strings quoted and escaped, enums bare, numbers
 * as they are, repeated scalars as `[a, b]`, messages in braces, repeated messages as
 * `[ { … }, { … } ]`. Field order is the caller's, so the files read top-down like
 * Triton's own examples.
 */

export type PbScalar = string | number | boolean | PbEnum;
export type PbValue = PbScalar | PbScalar[] | { msg: PbMessage } | { msgs: PbMessage[] };
export interface PbEnum { enum: string }
/** A message: its fields in order; a field listed twice is repeated (map entries are written so). */
export type PbMessage = Array<[string, PbValue]>;

export function pbEnum(name: string): PbEnum {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`${name} is not a protobuf enum value name`);
  return { enum: name };
}

function quote(s: string): string {
  let out = '"';
  for (const ch of Buffer.from(s, 'utf8')) {
    if (ch === 0x22) out += '\\"';
    else if (ch === 0x5c) out += '\\\\';
    else if (ch === 0x0a) out += '\\n';
    else if (ch < 0x20 || ch >= 0x7f) out += `\\${ch.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(ch);
  }
  return `${out}"`;
}

function scalar(v: PbScalar): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('a protobuf number must be finite');
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v.enum;
}

function field(name: string, v: PbValue, indent: string): string {
  if (Array.isArray(v)) return `${indent}${name}: [ ${v.map(scalar).join(', ')} ]\n`;
  if (typeof v === 'object' && 'msg' in v) return `${indent}${name} {\n${message(v.msg, `${indent}  `)}${indent}}\n`;
  if (typeof v === 'object' && 'msgs' in v) {
    const items = v.msgs.map((m) => `${indent}  {\n${message(m, `${indent}    `)}${indent}  }`);
    return `${indent}${name} [\n${items.join(',\n')}\n${indent}]\n`;
  }
  return `${indent}${name}: ${scalar(v)}\n`;
}

function message(m: PbMessage, indent: string): string {
  return m.map(([name, v]) => field(name, v, indent)).join('');
}

/** The text of one message (a whole config.pbtxt). */
export function toPbtxt(m: PbMessage): string {
  return message(m, '');
}
