/** An event-log line with its reason, from the entry's fields when the message leaves it out. */
import type { ActivityEntry } from '../../../shared/contract/activity.js';
import type { EvictionReason } from '../../../shared/slots/state.js';

const REASON_TEXT: Record<EvictionReason, string> = {
  lru: 'LRU',
  critical: 'pressure Critical',
  manual: 'by hand',
  idle: 'idle TTL',
  'host-exit': 'session host exited',
  'budget-change': 'budget changed',
};

/** A word whose presence in the message means it already gives the reason. */
const REASON_KEYWORD: Record<EvictionReason, string> = {
  lru: 'lru',
  critical: 'critical',
  manual: 'manual',
  idle: 'idle',
  'host-exit': 'host',
  'budget-change': 'budget',
};

export function activityText(e: ActivityEntry): string {
  const message = e.message.toLowerCase();
  const parts: string[] = [];
  if (e.reason && !message.includes(REASON_KEYWORD[e.reason]) && !message.includes(REASON_TEXT[e.reason].toLowerCase())) parts.push(REASON_TEXT[e.reason]);
  if (e.level && !message.includes(e.level.toLowerCase())) {
    parts.push(e.ratio === undefined ? `budget ${e.level}` : `budget ${e.level} ${Math.round(e.ratio * 100)} %`);
  }
  return parts.length > 0 ? `${e.message} (${parts.join(', ')})` : e.message;
}
