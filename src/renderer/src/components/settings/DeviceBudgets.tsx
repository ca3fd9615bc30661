import { GiB } from '../../../../shared/values/bytes.js';
import { deviceLabel } from '../../../../shared/devices/devices.js';
import type { DeviceBudgetSnapshot } from '../../../../shared/slots/state.js';
import { describedBy, Field } from '../common/Field.js';

/**
 * Budgets per device in the settings form: one field per device present (and per device a
 * budget is kept for), empty = the rule for every GPU / the CPU. Compute instances of one
 * MIG GPU instance share one budget, so they share one field.
 */
export function DeviceBudgets({ devices, values, error, code, onChange }: {
  devices: DeviceBudgetSnapshot[];
  values: Record<string, string>;
  error: string | undefined;
  code: string;
  onChange: (next: Record<string, string>) => void;
}): React.JSX.Element {
  const rows: Array<{ ids: string[]; budgetBytes: number | null }> = [];
  const seen = new Set<string>();
  for (const d of devices) {
    if (seen.has(d.device)) continue;
    const ids = [d.device, ...(d.sharedWith ?? [])];
    for (const id of ids) seen.add(id);
    rows.push({ ids, budgetBytes: d.budgetBytes });
  }
  for (const id of Object.keys(values)) if (!seen.has(id)) rows.push({ ids: [id], budgetBytes: null });
  const id = 'settings-deviceBudgets';
  const hint = 'Empty: the GPU or CPU budget above. Compute instances of one MIG GPU instance share one budget.';
  return (
    <Field id={id} label="Budget per device (GiB)" hint={hint} error={error} code={code}>
      <div className="device-budgets" id={id} role="group" aria-describedby={describedBy(id, error, hint)}>
        {rows.map((row) => {
          const key = row.ids.find((i) => (values[i] ?? '') !== '') ?? row.ids[0] ?? '';
          const label = row.ids.map(deviceLabel).join(' + ');
          return (
            <label key={row.ids.join(',')} className="device-budget" data-device={row.ids[0]}>
              <span title={row.ids.join(', ')}>{label}</span>
              <input
                inputMode="decimal"
                placeholder={row.budgetBytes === null ? 'default' : `now ${Number((row.budgetBytes / GiB).toFixed(2))}`}
                value={values[key] ?? ''}
                aria-label={`Budget of ${label} (GiB)`}
                onChange={(e) => {
                  const next = { ...values };
                  for (const i of row.ids) delete next[i];
                  next[row.ids[0] ?? key] = e.target.value;
                  onChange(next);
                }}
              />
            </label>
          );
        })}
      </div>
    </Field>
  );
}
