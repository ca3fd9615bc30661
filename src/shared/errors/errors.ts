/**
 * One error model for every process: a stable code, a message a user can act on, and
 * serialisable details. Only data crosses IPC and HTTP, so errors travel as
 * `{ code, message, details }` and are rebuilt with `ModelbayError.fromJSON`.
 */

/** Every code Modelbay emits, with a short title. Codes are stable: never renumber. */
export const ERROR_CODES = {
  // Core: slots and registry
  'EMB-E001': 'Unknown slot',
  'EMB-E002': 'Invalid argument',
  'EMB-E003': 'Not enough memory in the budget',
  'EMB-E004': 'Slot is pinned',
  'EMB-E005': 'Slot is not loaded',
  'EMB-E006': 'Model load failed',
  'EMB-E007': 'Slot is busy',
  'EMB-E008': 'Unknown device',
  'EMB-E009': 'Registry is shut down',
  'EMB-E010': 'Not enough free device memory',
  // Registry: aliases, strict GPU start, seed names
  'EMB-E020': 'Invalid alias',
  'EMB-E021': 'Alias already in use',
  'EMB-E022': 'Unknown model name',
  'EMB-E023': 'A usable GPU is required',
  'EMB-E024': 'Slot is already loaded',
  // Artifacts: catalog, Hub, downloads, cache
  'EMB-E101': 'Model files are missing',
  'EMB-E102': 'Gated repository: a token with access is needed',
  'EMB-E103': 'Repository not found',
  'EMB-E104': 'Revision not found',
  'EMB-E105': 'File not found in the repository',
  'EMB-E106': 'Invalid Hugging Face token',
  'EMB-E107': 'Network error',
  'EMB-E108': 'Checksum mismatch',
  'EMB-E109': 'Size mismatch',
  'EMB-E110': 'Not enough disk space',
  'EMB-E111': 'Unsafe path',
  'EMB-E112': 'Offline mode',
  'EMB-E113': 'File is being written by another process',
  'EMB-E114': 'Download cancelled',
  'EMB-E115': 'Invalid catalog',
  'EMB-E116': 'Hub server error',
  'EMB-E117': 'Access to the repository is disabled',
  'EMB-E118': 'Slot has no model',
  'EMB-E119': 'Unsupported content encoding',
  'EMB-E120': 'Download too slow',
  'EMB-E121': 'Connection closed early by the server',
  'EMB-E122': 'Too many redirects',
  'EMB-E123': 'Cache folder not accessible',
  'EMB-E124': 'Download worker failed',
  // Artifacts: models on disk, revisions, updates
  'EMB-E130': 'Model not found on disk',
  'EMB-E131': 'Model on disk is incomplete',
  'EMB-E132': 'Revision is in use',
  'EMB-E133': 'Model on disk cannot be assigned',
  'EMB-E134': 'Revision not on disk',
  'EMB-E135': 'No update to apply',
  'EMB-E136': 'Update failed: the slot is unchanged',
  'EMB-E137': 'No earlier revision to roll back to',
  'EMB-E138': 'Slot is busy: update or roll back later',
  'EMB-E139': 'Cache limit not reached: the rest is in use',
  // Layouts (lockfiles, restore, export)
  'EMB-E150': 'Invalid lockfile',
  'EMB-E151': 'Nothing to lock',
  'EMB-E152': 'Export folder is not empty',
  'EMB-E153': 'Model cannot be exported',
  // Runtime: session hosts, onnxruntime, embedding
  'EMB-E201': 'CUDA provider is not available',
  'EMB-E202': 'Invalid or corrupt model file',
  'EMB-E203': 'Session host crashed',
  'EMB-E204': 'CPU placement refused by strict GPU mode',
  'EMB-E205': 'Invalid tokenizer',
  'EMB-E206': 'Session host timed out',
  'EMB-E207': 'Inference failed',
  'EMB-E208': 'Token id outside the vocabulary',
  'EMB-E209': 'Serving queue is full',
  // GPU telemetry
  'EMB-E301': 'nvidia-smi not found',
  'EMB-E302': 'nvidia-smi failed',
  'EMB-E303': 'No NVIDIA GPU found',
  'EMB-E304': 'NVIDIA driver not reachable',
  'EMB-E305': 'nvidia-smi stopped answering',
  'EMB-E306': 'nvidia-smi output unreadable',
  'EMB-E307': 'nvidia-smi could not be started',
  'EMB-E308': 'GPU process list unknown',
  'EMB-E309': 'MIG instance not available',
  'EMB-E310': 'Session over its GPU memory limit',
  // App, IPC, HTTP, settings
  'EMB-E401': 'Invalid request',
  'EMB-E402': 'Unauthorized',
  'EMB-E403': 'Forbidden',
  'EMB-E404': 'Unknown command',
  'EMB-E405': 'Request too large',
  'EMB-E406': 'Invalid settings',
  'EMB-E407': 'Data folder in use by another Modelbay',
  'EMB-E408': 'Data folder cannot be used',
  // The server's edge: cross-site requests, malformed HTTP, connection limits
  'EMB-E410': 'Cross-site request refused',
  'EMB-E411': 'Malformed HTTP request',
  'EMB-E412': 'Server busy: too many connections',
  'EMB-E413': 'Request timed out',
  'EMB-E414': 'Request headers too large',
  'EMB-E420': 'Wrong endpoint for this slot',
  'EMB-E421': 'Unknown model',
  'EMB-E422': 'Unsupported dimensions',
  'EMB-E423': 'No Modelbay server is running',
  'EMB-E430': 'Input longer than the model takes',
  'EMB-E500': 'Internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export type ErrorDetails = Record<string, unknown>;

export interface SerializedError {
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

export class ModelbayError extends Error {
  override readonly name = 'ModelbayError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** A short title for the code, for headings in the UI. */
  get title(): string {
    return ERROR_CODES[this.code];
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message, details: toPlainData(this.details) as ErrorDetails };
  }

  static fromJSON(value: unknown): ModelbayError {
    if (typeof value === 'object' && value !== null) {
      const v = value as Partial<SerializedError>;
      if (isErrorCode(v.code) && typeof v.message === 'string') {
        const details = typeof v.details === 'object' && v.details !== null ? v.details : {};
        return new ModelbayError(v.code, v.message, details);
      }
    }
    return new ModelbayError('EMB-E500', 'An unexpected error arrived in a malformed shape.', { received: String(value) });
  }
}

export function isModelbayError(value: unknown): value is ModelbayError {
  return value instanceof ModelbayError;
}

/** Any thrown value as a ModelbayError; unknown failures become EMB-E500 with the original message. */
export function toModelbayError(value: unknown, fallback: ErrorCode = 'EMB-E500'): ModelbayError {
  if (value instanceof ModelbayError) return value;
  if (value instanceof Error) return new ModelbayError(fallback, value.message, { cause: value.name }, { cause: value });
  return new ModelbayError(fallback, String(value));
}

export function serializeError(value: unknown): SerializedError {
  return toModelbayError(value).toJSON();
}

/** Details must survive JSON and structured clone: drop functions, turn bigint and errors into strings. */
function toPlainData(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return value.message;
  if (Array.isArray(value)) return value.map((v) => toPlainData(v, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'function' || v === undefined) continue;
      out[k] = toPlainData(v, depth + 1);
    }
    return out;
  }
  return undefined;
}
