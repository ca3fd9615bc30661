import type { ErrorCode } from '../errors/errors.js';
import type { SlotId } from '../slots/slots.js';
import type { DeviceId, EvictionReason, PressureLevel } from '../slots/state.js';

export type ActivityKind =
  | 'loaded'
  | 'unloaded'
  | 'evicted'
  | 'load-failed'
  | 'session-lost'
  | 'pinned'
  | 'unpinned'
  | 'pressure'
  | 'download'
  | 'verify'
  | 'info'
  | 'error';

/** One line of the event log: what happened and why, in words a user reads. */
export interface ActivityEntry {
  at: number;
  kind: ActivityKind;
  slot: SlotId | null;
  message: string;
  code?: ErrorCode;
  reason?: EvictionReason;
  device?: DeviceId;
  level?: PressureLevel;
  ratio?: number;
}
