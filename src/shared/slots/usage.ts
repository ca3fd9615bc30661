/**
 * Health and usage per slot, from what actually happened to its requests: embeds and
 * health probes (one tiny embed) that worked or failed, and how long they took. A slot is
 * degraded after a failure and unhealthy after UNHEALTHY_AFTER failures in a row; one
 * success makes it healthy again. A request refused for want of memory or because Modelbay
 * is busy or stopping says nothing about the model and does not count, nor does one refused
 * for what it sent (a bad body, an input too long).
 */
import type { SerializedError } from '../errors/errors.js';
import type { SlotId } from './slots.js';

export const UNHEALTHY_AFTER = 3;
export const USAGE_HEALTH = ['unknown', 'healthy', 'degraded', 'unhealthy'] as const;
export type UsageHealth = (typeof USAGE_HEALTH)[number];

export interface ProbeResult {
  slot: SlotId;
  at: number;
  ok: boolean;
  ms: number;
  dims: number | null;
  error: SerializedError | null;
}

export interface SlotUsage {
  slot: SlotId;
  health: UsageHealth;
  /** Failures since the last success. */
  consecutiveFailures: number;
  lastError: SerializedError | null;
  lastErrorAt: number | null;
  lastUsedAt: number | null;
  /** Embed requests that succeeded (probes not counted). */
  uses: number;
  failures: number;
  /** Texts embedded in those requests. */
  texts: number;
  /** Embed latency of the successful requests, ms; null before the first. */
  meanMs: number | null;
  /** Over the last LATENCY_WINDOW requests. */
  p95Ms: number | null;
  lastProbe: ProbeResult | null;
}
