import type { SlotId } from '../../../../shared/slots/slots.js';
import { useDashboard } from '../../store/use-dashboard.js';
import './slot-extras.css';

/** The slot's public name (the model name in the serving API), when it has one. */
export function SlotAlias({ id }: { id: SlotId }): React.JSX.Element | null {
  const alias = useDashboard((s) => s.model.settings?.settings.slots[id]?.alias ?? null);
  if (!alias) return null;
  return (
    <span className="slot-alias" title={`Served as "${alias}": the model name in the API and the CLI`}>
      {alias}
    </span>
  );
}
