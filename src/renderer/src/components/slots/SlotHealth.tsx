/** Health and usage of one slot, collapsed on its card by default: what its requests did and a probe on demand. */
import { noun } from '../../../../shared/values/counts.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import type { UsageHealth } from '../../../../shared/slots/usage.js';
import { relativeTime } from '../../display/figures.js';
import { useNow } from '../../display/use-now.js';
import { useCommand, useDashboard } from '../../store/use-dashboard.js';
import './slot-extras.css';

const HEALTH_LABEL: Record<UsageHealth, string> = { unknown: 'no requests yet', healthy: 'healthy', degraded: 'degraded', unhealthy: 'unhealthy' };

function ms(value: number | null): string {
  if (value === null) return '—';
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

export function SlotHealth({ id }: { id: SlotId }): React.JSX.Element | null {
  const usage = useDashboard((s) => s.model.usage[id]);
  const loaded = useDashboard((s) => s.model.slots[id]?.state === 'loaded');
  const pending = useDashboard((s) => s.ui.pending[id]);
  const send = useCommand();
  const now = useNow(15_000);
  if (!usage) return null;
  const probe = usage.lastProbe;
  return (
    <details className="slot-health">
      <summary>
        <span className={`health-dot health-${usage.health}`} aria-hidden="true" />
        <span>
          Health: {HEALTH_LABEL[usage.health]}
          {usage.uses > 0 || usage.health !== 'unknown' ? (
            <>
              {' · '}
              <span className="num">{usage.uses.toLocaleString('en-US')}</span> {noun(usage.uses, 'use')}
            </>
          ) : null}
        </span>
      </summary>
      <dl className="slot-facts health-facts">
        <div>
          <dt>Latency mean · p95</dt>
          <dd className="num">
            {ms(usage.meanMs)} · {ms(usage.p95Ms)}
          </dd>
        </div>
        <div>
          <dt>Texts</dt>
          <dd className="num">{usage.texts.toLocaleString('en-US')}</dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd>{relativeTime(usage.lastUsedAt, now)}</dd>
        </div>
        <div>
          <dt>Failures</dt>
          <dd className="num">
            {usage.failures}
            {usage.consecutiveFailures > 0 ? ` (${usage.consecutiveFailures} in a row)` : ''}
          </dd>
        </div>
      </dl>
      {usage.lastError && (
        <p className="health-error" title={usage.lastError.message}>
          <code className="error-code">{usage.lastError.code}</code> {relativeTime(usage.lastErrorAt, now)}: {usage.lastError.message}
        </p>
      )}
      <div className="health-probe">
        <span className="muted">
          {probe ? `Probe ${probe.ok ? 'passed' : 'failed'} ${relativeTime(probe.at, now)} (${ms(probe.ms)})` : 'Not probed yet'}
        </span>
        <button type="button" className="button small" disabled={!loaded || pending !== undefined} title={loaded ? 'Embed one short text now' : 'Load the slot to probe it'} onClick={() => send(id, 'probe', { slot: id })}>
          Probe
        </button>
      </div>
    </details>
  );
}
