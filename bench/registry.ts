/**
 * Slot-manager latency and registry load dedupe.
 * Prints human-readable figures, then as its last line one JSON object:
 * {"reserve_p50_us","reserve_p99_us","release_p99_us","ops","concurrent_gets","concurrent_loads"}.
 * Baseline in the same run: the same loop on a bare Map (the floor for any bookkeeping).
 */
import { GiB, MB } from '../src/shared/values/bytes.js';
import { SLOT_IDS } from '../src/shared/slots/slots.js';
import { ModelRegistry } from '../src/main/core/registry/registry.js';
import { SlotManager } from '../src/main/core/slots/slot-manager.js';
import { BufferFactory } from '../src/devkit/registry/buffer-factory.js';

const OPS = Number(process.env['BENCH_OPS'] ?? 200_000);

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

function timeLoop(reserve: (i: number) => void, release: (i: number) => void): { reserve: Float64Array; release: Float64Array } {
  const n = SLOT_IDS.length;
  const rounds = Math.ceil(OPS / n);
  const res = new Float64Array(rounds * n);
  const rel = new Float64Array(rounds * n);
  let k = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      reserve(i);
      res[k + i] = Number(process.hrtime.bigint() - t0) / 1000;
    }
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      release(i);
      rel[k + i] = Number(process.hrtime.bigint() - t0) / 1000;
    }
    k += n;
  }
  res.sort();
  rel.sort();
  return { reserve: res, release: rel };
}

// Warm up the JIT on both, then measure.
const slots = new SlotManager({ devices: [{ device: 'cuda:0', budgetBytes: 8 * GiB }] });
const map = new Map<string, number>();
const ours = (): ReturnType<typeof timeLoop> => timeLoop(
  (i) => slots.reserve(SLOT_IDS[i]!, 'cuda:0', 100 * MB),
  (i) => { slots.release(SLOT_IDS[i]!); },
);
const base = (): ReturnType<typeof timeLoop> => timeLoop(
  (i) => { map.set(SLOT_IDS[i]!, 100 * MB); },
  (i) => { map.delete(SLOT_IDS[i]!); },
);
ours();
base();
const o = ours();
const b = base();

// 100 concurrent gets of one slot → one load.
const factory = new BufferFactory({ allocate: () => 1024 * 1024, delayMs: 20 });
const registry = new ModelRegistry({
  slots: new SlotManager({ devices: [{ device: 'cpu', budgetBytes: 8 * GiB }] }),
  factory,
  configs: SLOT_IDS.map((id) => ({ id, device: 'cpu', estimateBytes: 100 * MB })),
});
await Promise.all(Array.from({ length: 100 }, () => registry.get('E1')));
const loads = factory.created.length;
await registry.shutdown();

const r2 = (x: number): number => Math.round(x * 100) / 100;
process.stdout.write(`slot manager reserve p50 ${r2(percentile(o.reserve, 0.5))} µs, p99 ${r2(percentile(o.reserve, 0.99))} µs; release p99 ${r2(percentile(o.release, 0.99))} µs (${o.reserve.length} ops)\n`);
process.stdout.write(`baseline Map.set p50 ${r2(percentile(b.reserve, 0.5))} µs, p99 ${r2(percentile(b.reserve, 0.99))} µs; Map.delete p99 ${r2(percentile(b.release, 0.99))} µs\n`);
process.stdout.write(`100 concurrent get(E1): ${loads} load(s), ${registry.stats().hits} hits\n`);
process.stdout.write(`${JSON.stringify({
  reserve_p50_us: r2(percentile(o.reserve, 0.5)),
  reserve_p99_us: r2(percentile(o.reserve, 0.99)),
  release_p99_us: r2(percentile(o.release, 0.99)),
  ops: o.reserve.length + o.release.length,
  concurrent_gets: 100,
  concurrent_loads: loads,
})}\n`);
