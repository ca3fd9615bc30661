/**
 * The `modelbay` commands, their arguments and help — parsed with node:util's parseArgs
 * before anything touches the network, so a typo never reaches a server. Adding a
 * command is one entry here and one function in run-command.ts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SLOT_IDS, type SlotId } from '../shared/slots/slots.js';

export class UsageError extends Error {}

export interface CommandSpec {
  summary: string;
  usage: string;
  /** Positional slots: none, exactly one, or any number (0 = all where the command allows it). */
  slots: 'none' | 'one' | 'many';
  options?: ParseArgsConfig['options'];
  /** Free text after the slot (embed). */
  text?: boolean;
  /** Words after the command (`lock verify FILE`, `export triton DIR`): how many are allowed. */
  words?: { min: number; max: number };
}

export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const COMMANDS = {
  serve: { summary: 'run the headless server (dashboard, /v1 API, /metrics)', usage: 'serve [--port N] [--host ADDR] [--data-dir DIR]', slots: 'none' },
  demo: { summary: 'the headless server with a local test Hub and small generated models, in a temp folder: try it all offline', usage: 'demo [--port N] [--hub-port N] [--fake-gpu] [--data-dir DIR]', slots: 'none' },
  token: { summary: 'print the server\'s token, for scripts: -H "Authorization: Bearer $(modelbay token)"', usage: 'token [--data-dir DIR] [--json]', slots: 'none' },
  status: { summary: 'the server, readiness, loaded models and memory pressure', usage: 'status', slots: 'none' },
  ls: { summary: 'every slot: state, repo, variant, size, ready', usage: 'ls', slots: 'none' },
  ps: { summary: 'loaded models: device, measured memory, last used, uses', usage: 'ps', slots: 'none' },
  pull: { summary: 'download and verify slots\' files (progress bar on a terminal)', usage: 'pull SLOT… | pull --all', slots: 'many', options: { all: { type: 'boolean' } } },
  update: { summary: 'apply a slot\'s model update: download beside the one in use (progress bar), then switch', usage: 'update SLOT', slots: 'one' },
  load: { summary: 'load a slot (evicting LRU models if needed)', usage: 'load SLOT', slots: 'one' },
  unload: { summary: 'unload a slot', usage: 'unload SLOT', slots: 'one' },
  evict: { summary: 'evict a slot (--force: even when pinned)', usage: 'evict SLOT [--force]', slots: 'one', options: { force: { type: 'boolean' } } },
  pin: { summary: 'pin a slot (never evicted automatically)', usage: 'pin SLOT', slots: 'one' },
  unpin: { summary: 'unpin a slot', usage: 'unpin SLOT', slots: 'one' },
  verify: { summary: 're-hash slots\' files against their SHA-256 (default: every slot with files)', usage: 'verify [SLOT…]', slots: 'many' },
  rm: { summary: 'delete a slot\'s downloaded files (refused while it is loaded)', usage: 'rm SLOT', slots: 'one' },
  gpu: { summary: 'GPUs (memory, utilisation, temperature, power), their processes and budgets', usage: 'gpu', slots: 'none' },
  embed: { summary: 'embed texts with a slot (loads it when needed)', usage: 'embed SLOT TEXT…', slots: 'one', text: true },
  lock: {
    summary: 'write the layout to a lockfile (repos, commits, sha256 of every file, devices); `lock verify` checks the cache against one, `lock restore` sets this machine up from one',
    usage: 'lock [--out FILE] [--slots E1,E3] | lock verify [FILE] [--slots …] | lock restore FILE [--slots …]',
    slots: 'none', words: { min: 0, max: 2 }, options: { out: { type: 'string' }, slots: { type: 'string' } },
  },
  export: {
    summary: 'write a Triton model repository (kserve: plus an InferenceService) of the layout or a lockfile',
    usage: 'export triton DIR | export kserve DIR [--storage-uri URI]   [--slots E1,E3] [--lock FILE]',
    slots: 'none', words: { min: 2, max: 2 }, options: { slots: { type: 'string' }, lock: { type: 'string' }, 'storage-uri': { type: 'string' } },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandId = keyof typeof COMMANDS;

/** Where a command writes: its answer to `out`, progress and messages to `err`. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

export interface ParsedCommand {
  command: CommandId;
  /** Slots as named on the command line: an id (upper-cased) or a name the server resolves (an alias, a slot's name, a repo). */
  slots: string[];
  texts: string[];
  json: boolean;
  help: boolean;
  port: string | undefined;
  dataDir: string | undefined;
  flags: Record<string, boolean>;
  /** String options (`--out FILE`, `--lock FILE`, `--storage-uri URI`) as given. */
  strings: Record<string, string>;
  /** Words after the command (`verify FILE`, `triton DIR`). */
  words: string[];
  /** `serve` and `demo` pass their arguments through to the entry, which parses them. */
  rest: string[];
}

export function isCommand(name: string): name is CommandId {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

// An alias, a slot's name or a repository id: resolved by the server's names (resolveModelName).
const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

/** A slot id (any case) or a name to resolve against the server's aliases; a typo of an id (E14) is refused here. */
export function parseSlot(text: string): string {
  const upper = text.toUpperCase();
  const slot = SLOT_IDS.find((s) => s === upper);
  if (slot) return slot;
  if (/^E\d+$/.test(upper) || !MODEL_NAME_RE.test(text)) throw new UsageError(`${JSON.stringify(text.slice(0, 80))} is not a slot: use E1…E13 or a slot's alias.`);
  return text;
}

export function parseCommand(argv: string[]): ParsedCommand | { help: true; command: null } {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return { help: true, command: null };
  if (!isCommand(name)) throw new UsageError(`Unknown command: ${name}`);
  const spec: CommandSpec = COMMANDS[name];
  // serve and demo take their own flags: their entries parse them.
  if (name === 'serve' || name === 'demo') {
    const help = args.includes('--help') || args.includes('-h');
    return { command: name, slots: [], texts: [], json: false, help, port: undefined, dataDir: undefined, flags: {}, strings: {}, words: [], rest: args };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: { ...COMMON_OPTIONS, ...spec.options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const help = values.help === true;
  const positionals = parsed.positionals;
  const flags: Record<string, boolean> = {};
  const strings: Record<string, string> = {};
  for (const key of Object.keys(spec.options ?? {})) {
    const v = values[key];
    if (typeof v === 'string') strings[key] = v;
    else flags[key] = v === true;
  }
  let slots: string[] = [];
  let texts: string[] = [];
  let words: string[] = [];
  if (!help && spec.words) {
    words = positionals;
    if (words.length < spec.words.min || words.length > spec.words.max) throw new UsageError(`Usage: modelbay ${spec.usage}`);
    slots = checkLayoutWords(name, words, strings);
  } else if (!help) {
    if (spec.slots === 'none' && positionals.length > 0) throw new UsageError(`${name} takes no arguments.`);
    if (spec.slots === 'one') {
      if (positionals.length === 0) throw new UsageError(`${name} needs a slot (E1…E13).`);
      slots = [parseSlot(positionals[0] as string)];
      if (spec.text) {
        texts = positionals.slice(1);
        if (texts.length === 0) throw new UsageError(`${name} needs at least one text after the slot.`);
      } else if (positionals.length > 1) {
        throw new UsageError(`${name} takes one slot.`);
      }
    }
    if (spec.slots === 'many') {
      slots = positionals.map(parseSlot);
      if (name === 'pull' && slots.length === 0 && !flags.all) throw new UsageError('pull needs slots (E1 E8 …) or --all.');
      if (name === 'pull' && slots.length > 0 && flags.all) throw new UsageError('pull takes slots or --all, not both.');
    }
  }
  const port = typeof values.port === 'string' ? values.port : undefined;
  if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535)) throw new UsageError(`--port must be a number from 1 to 65535; got ${JSON.stringify(port)}.`);
  return {
    command: name, slots, texts, json: values.json === true, help, port,
    dataDir: typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined, flags, strings, words, rest: [],
  };
}

/** `--slots E1,E3` as slot ids. */
export function parseSlotList(text: string): SlotId[] {
  const slots = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s): SlotId => {
    const slot = SLOT_IDS.find((id) => id === s.toUpperCase());
    if (!slot) throw new UsageError(`${JSON.stringify(s.slice(0, 80))} is not a slot: --slots takes E1…E13.`);
    return slot;
  });
  if (slots.length === 0) throw new UsageError('--slots needs slot ids: --slots E1,E3.');
  return [...new Set(slots)];
}

/** The words and options of `lock …` and `export …`; returns the --slots list. */
function checkLayoutWords(name: string, words: string[], strings: Record<string, string>): SlotId[] {
  const [verb, target] = words;
  if (name === 'lock') {
    if (verb !== undefined && verb !== 'verify' && verb !== 'restore') throw new UsageError(`lock takes verify or restore, not ${JSON.stringify(verb)}.`);
    if (verb === 'restore' && target === undefined) throw new UsageError('lock restore needs the lockfile: modelbay lock restore modelbay.lock.json');
    if (verb === undefined && target !== undefined) throw new UsageError('lock takes no arguments (use --out FILE).');
    if (verb !== undefined && strings.out !== undefined) throw new UsageError(`--out is for writing a lockfile, not for lock ${verb}.`);
  }
  if (name === 'export') {
    if (verb !== 'triton' && verb !== 'kserve') throw new UsageError(`export takes triton or kserve, not ${JSON.stringify(verb ?? '')}.`);
    if (strings['storage-uri'] !== undefined && verb !== 'kserve') throw new UsageError('--storage-uri is for export kserve.');
  }
  return strings.slots === undefined ? [] : parseSlotList(strings.slots);
}

export function commandHelp(name: CommandId): string {
  const spec: CommandSpec = COMMANDS[name];
  const extra = name === 'serve' || name === 'demo' ? '' : name === 'token' ? '\nOptions:\n  --json           {"token": "…", "dataDir": "…"}\n  --data-dir DIR   the server\'s data folder (default MODELBAY_DATA_DIR, ~/.config/modelbay)\n' : '\nOptions:\n  --json           machine-readable output\n  --port N         the server\'s port (default: the running server\'s, MODELBAY_PORT, 7878)\n  --data-dir DIR   where the server keeps its token (default MODELBAY_DATA_DIR, ~/.config/modelbay)\n';
  return `Usage: modelbay ${spec.usage}\n\n  ${spec.summary}\n${extra}`;
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = (Object.keys(COMMANDS) as CommandId[]).map((k) => `  ${k.padEnd(width)}  ${COMMANDS[k].summary}`);
  return `Usage: modelbay COMMAND [ARGS] [--json] [--port N] [--data-dir DIR]\n\nCommands:\n${lines.join('\n')}\n\n` +
    'Every command takes --help. Exit codes: 0 ok, 1 Modelbay error (code and message on stderr), 2 usage, 3 no server running.\n';
}
