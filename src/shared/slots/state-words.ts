/**
 * Slot, file and download states said in English. A state is a word of the protocol
 * ("failed", "cancelled", "no-model"); pasted after "are" or "was" it makes sentences such
 * as "E8's model files are failed". Every message that tells a user what state something
 * is in builds its sentence here, so each state reads the same in the dashboard, the
 * CLI, the API's errors and the event log.
 */
import type { DownloadPhase, ReadinessStatus } from '../artifacts/artifacts.js';
import type { ArtifactState, SlotState } from './state.js';

/** What is known of why files are not ready: the readiness report's or the failure's code and words. */
export interface FilesProblem {
  code?: string | null;
  reason?: string | null;
}

/** Codes that mean the bytes on disk are not the ones expected. */
const VERIFY_CODES = new Set(['EMB-E108', 'EMB-E109']);

function failedFiles(slot: string, code: string | null | undefined): string {
  if (code === undefined || code === null) return `${slot}'s model files failed to download or verify`;
  if (VERIFY_CODES.has(code)) return `${slot}'s model files failed verification`;
  if (code === 'EMB-E123') return `${slot}'s model files cannot be read or written`;
  return `${slot}'s model files failed to download`;
}

/** Ends with a stop, whatever the reason's author wrote (its first word may be a path: left as it is). */
function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

/**
 * "E8's model files are missing.", "E8's model files failed verification. onnx/model.onnx
 * failed its checksum…": the state of a slot's files, then the reason when there is one.
 */
export function modelFilesSentence(slot: string, status: ReadinessStatus | ArtifactState, problem: FilesProblem = {}): string {
  let head: string;
  switch (status) {
    case 'ready': head = `${slot}'s model files are ready`; break;
    case 'missing': head = `${slot}'s model files are missing`; break;
    case 'partial': head = `Some of ${slot}'s model files are missing`; break;
    case 'downloading': head = `${slot}'s model files are still downloading`; break;
    case 'verifying': head = `${slot}'s model files are still being verified`; break;
    case 'failed': head = failedFiles(slot, problem.code); break;
    case 'no-model': head = `${slot} has no model`; break;
  }
  const reason = problem.reason?.trim();
  return reason ? `${sentence(head)} ${sentence(reason)}` : sentence(head);
}

const DOWNLOAD_WORDS: Record<DownloadPhase, string> = {
  queued: 'is queued',
  resolving: 'is resolving its files on the Hub',
  downloading: 'is running',
  paused: 'was paused',
  verifying: 'is verifying its files',
  done: 'finished',
  failed: 'failed',
  cancelled: 'was cancelled',
};

/** "E8's download was cancelled.", "E8's download failed.", "E8's download is queued." */
export function downloadSentence(slot: string, phase: DownloadPhase): string {
  return `${slot}'s download ${DOWNLOAD_WORDS[phase]}.`;
}

const SLOT_WORDS: Record<SlotState, string> = {
  missing: 'has no model files yet',
  downloading: 'is downloading',
  verifying: 'is verifying its files',
  ready: 'is ready',
  loading: 'is loading',
  loaded: 'is loaded',
  unloading: 'is unloading',
  failed: 'has failed',
};

/** What follows a slot's name for its state: "is loading", "has failed" (never "is failed"). */
export function slotStateWords(state: SlotState): string {
  return SLOT_WORDS[state];
}

/** "E8 is loading", "E8 has failed": no trailing stop, so callers go on (": unload it first."). */
export function slotStateClause(slot: string, state: SlotState): string {
  return `${slot} ${SLOT_WORDS[state]}`;
}

/** Why an empty slot refuses an action: "E5 has no model: choose one in Configure (…) before you pin it." */
export function noModelSentence(slot: string, what: string): string {
  return `${slot} has no model: choose one in Configure (or assign one from On disk) before you ${what}.`;
}
