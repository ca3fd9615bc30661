// Headless entry: the backend without Electron, for GPU servers over SSH and for
// machines where the Electron binary is missing. The dashboard server arrives with the
// app issue; for now it starts the core and prints its state.
import { formatBytes, formatPercent } from '../shared/bytes.js';
import { SLOT_IDS } from '../shared/slots.js';
import { ModelRegistry } from './core/registry/registry.js';
import { SlotManager } from './core/slots/slot-manager.js';
import { seedEstimateBytes } from './core/slots/seed.js';
import { ModelbayError } from '../shared/errors.js';

const slots = new SlotManager();
const registry = new ModelRegistry({
  slots,
  configs: SLOT_IDS.map((id) => ({ id, estimateBytes: seedEstimateBytes(id) })),
  factory: {
    create: () => Promise.reject(new ModelbayError('EMB-E006', 'No model runtime is installed in this build yet.')),
  },
});

for (const s of registry.snapshots()) {
  process.stdout.write(`${s.id.padEnd(4)} ${s.name.padEnd(20)} ${s.state.padEnd(10)} ${formatBytes(s.estimateBytes).padStart(10)} ${s.device}\n`);
}
for (const d of slots.snapshots()) {
  process.stdout.write(`${d.device}: ${formatBytes(d.allocatedBytes)} of ${formatBytes(d.budgetBytes)} (${d.level} ${formatPercent(d.ratio)})\n`);
}
process.stdout.write('Modelbay headless backend is running. Press Ctrl+C to stop.\n');
const keepAlive = setInterval(() => undefined, 60_000);
const stop = (): void => {
  clearInterval(keepAlive);
  void registry.shutdown().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
