/** An event-log line with its reason, from the entry's fields when the message leaves it out. */
import type { ActivityEntry } from '../../../shared/activity.js';
import type { EvictionReason } from '../../../shared/state.js';

const REASON_TEXT: Record<EvictionReason, string> = {
  lru: 'LRU',
  critical: 'pressure Critical',
  manual: 'by hand',
  idle: 'idle TTL',
  'host-exit': 'session host exited',
  'budget-change': 'budget changed',
};

export function activityText(e: ActivityEntry): string {
  const parts: string[] = [];
  if (e.reason) parts.push(REASON_TEXT[e.reason]);
  if (e.level && e.ratio !== undefined) parts.push(`budget ${e.level} ${Math.round(e.ratio * 100)} %`);
  else if (e.level) parts.push(`budget ${e.level}`);
  const missing = parts.filter((p) => !e.message.toLowerCase().includes(p.toLowerCase()));
  return missing.length === parts.length && parts.length > 0 ? `${e.message} (${parts.join(', ')})` : e.message;
}
