/**
 * GET /metrics in Prometheus' text format (prom-client). State is read from the App's
 * snapshot at scrape time — the registry, budgets and GPU monitor already hold the
 * figures, so nothing is counted twice; request latencies and batch sizes are observed
 * as requests finish; download failures are counted from the event stream.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppEvent, AppSnapshot } from '../../shared/contract/api.js';
import { SLOT_STATES, PRESSURE_LEVELS } from '../../shared/slots/state.js';
import type { SlotId } from '../../shared/slots/slots.js';
import type { ServeResult } from '../core/runtime/index.js';

export interface MetricsSource {
  snapshot(): AppSnapshot;
  subscribe(listener: (event: AppEvent) => void): () => void;
}

/** A cumulative figure the app keeps (loads, uses…) exposed as a counter: set, not incremented. */
function setCounter<T extends string>(c: Counter<T>, values: Array<[Partial<Record<T, string>>, number]>): void {
  c.reset();
  for (const [labels, v] of values) c.inc(labels, Math.max(0, v));
}

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly off: () => void;
  private readonly downloadPhase = new Map<SlotId, string>();
  private readonly requests: Counter<'slot' | 'endpoint' | 'outcome'>;
  private readonly inputs: Counter<'slot'>;
  private readonly tokens: Counter<'slot'>;
  private readonly latency: Histogram<'slot' | 'endpoint'>;
  private readonly batchInputs: Histogram<'slot'>;
  private readonly downloadFailures: Counter<'slot'>;

  constructor(source: MetricsSource) {
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'modelbay_' });
    let snap: AppSnapshot | null = null;
    // One snapshot per scrape: the first collector takes it, the render clears it.
    const s = (): AppSnapshot => (snap ??= source.snapshot());
    this.clearSnapshot = () => {
      snap = null;
    };
    const slotGauge = (name: string, help: string, value: (x: AppSnapshot['slots'][number]) => number | null): void => {
      new Gauge({ name, help, labelNames: ['slot', 'name'], registers: r, collect() {
        this.reset();
        for (const x of s().slots) {
          const v = value(x);
          if (v !== null) this.set({ slot: x.id, name: x.name }, v);
        }
      } });
    };
    new Gauge({ name: 'modelbay_slot_state', help: 'The slot is in this state (1) or not (0).', labelNames: ['slot', 'state'], registers: r, collect() {
      this.reset();
      for (const x of s().slots) for (const state of SLOT_STATES) this.set({ slot: x.id, state }, x.state === state ? 1 : 0);
    } });
    slotGauge('modelbay_slot_estimated_bytes', 'Memory reserved for the slot before its load (estimate).', (x) => x.estimateBytes);
    slotGauge('modelbay_slot_measured_bytes', 'Memory the loaded slot was measured to use (absent when unknown).', (x) => x.measuredBytes);
    slotGauge('modelbay_slot_pinned', 'The slot is pinned (never evicted automatically).', (x) => (x.pinned ? 1 : 0));
    slotGauge('modelbay_slot_queue_depth', 'Inputs waiting for the slot (for its load or in its batch queue).', (x) => s().serving?.queueDepth[x.id] ?? 0);
    slotGauge('modelbay_slot_last_used_timestamp_seconds', 'When the slot last served a request.', (x) => (x.lastUsedAt === null ? null : x.lastUsedAt / 1000));
    const slotCounter = (name: string, help: string, value: (x: AppSnapshot['slots'][number]) => number): void => {
      new Counter({ name, help, labelNames: ['slot'], registers: r, collect() {
        setCounter(this, s().slots.map((x) => [{ slot: x.id }, value(x)]));
      } });
    };
    slotCounter('modelbay_slot_loads_total', 'Loads of the slot.', (x) => x.loadCount);
    slotCounter('modelbay_slot_uses_total', 'Uses of the slot (hits and first uses).', (x) => x.useCount);
    slotCounter('modelbay_slot_failures_total', 'Failed loads or lost sessions of the slot.', (x) => x.failures);
    const registryCounter = (key: 'loads' | 'unloads' | 'hits' | 'failures' | 'evictions', help: string): void => {
      new Counter({ name: `modelbay_registry_${key}_total`, help, registers: r, collect() {
        setCounter(this, [[{}, s().stats[key]]]);
      } });
    };
    registryCounter('loads', 'Model loads, all slots.');
    registryCounter('unloads', 'Model unloads (by hand, eviction, idle TTL), all slots.');
    registryCounter('hits', 'Requests served by an already loaded model.');
    registryCounter('failures', 'Failed loads, all slots.');
    registryCounter('evictions', 'Models evicted to make room or relieve pressure.');
    new Gauge({ name: 'modelbay_registry_loaded', help: 'Models loaded now.', registers: r, collect() {
      this.set(s().stats.loaded);
    } });

    const deviceGauge = (name: string, help: string, value: (d: AppSnapshot['devices'][number]) => number | null): void => {
      new Gauge({ name, help, labelNames: ['device'], registers: r, collect() {
        this.reset();
        for (const d of s().devices) {
          const v = value(d);
          if (v !== null) this.set({ device: d.device }, v);
        }
      } });
    };
    deviceGauge('modelbay_device_budget_bytes', 'Memory budget of the device.', (d) => d.budgetBytes);
    deviceGauge('modelbay_device_allocated_bytes', 'Memory charged to loaded and loading models.', (d) => d.allocatedBytes);
    deviceGauge('modelbay_device_pressure_ratio', 'Allocated / budget.', (d) => d.ratio);
    deviceGauge('modelbay_device_pressure_level', `Pressure level: ${PRESSURE_LEVELS.map((l, i) => `${i}=${l}`).join(', ')}.`, (d) => PRESSURE_LEVELS.indexOf(d.level));
    deviceGauge('modelbay_device_free_bytes', 'Free memory the device reports (other processes count).', (d) => d.deviceFreeBytes);

    const gpuGauge = (name: string, help: string, value: (g: NonNullable<AppSnapshot['gpu']>['gpus'][number]) => number | null): void => {
      new Gauge({ name, help, labelNames: ['gpu', 'uuid', 'gpu_name'], registers: r, collect() {
        this.reset();
        const sample = s().gpu;
        if (!sample?.available) return;
        for (const g of sample.gpus) {
          const v = value(g);
          if (v !== null) this.set({ gpu: String(g.index), uuid: g.uuid, gpu_name: g.name }, v);
        }
      } });
    };
    gpuGauge('modelbay_gpu_memory_used_bytes', 'GPU memory used (all processes).', (g) => g.memoryUsedBytes);
    gpuGauge('modelbay_gpu_memory_total_bytes', 'GPU memory total.', (g) => g.memoryTotalBytes);
    gpuGauge('modelbay_gpu_utilization_ratio', 'GPU utilisation (0–1).', (g) => (g.utilizationPct === null ? null : g.utilizationPct / 100));
    gpuGauge('modelbay_gpu_temperature_celsius', 'GPU temperature.', (g) => g.temperatureC);
    gpuGauge('modelbay_gpu_power_watts', 'GPU power draw.', (g) => g.powerDrawW);
    gpuGauge('modelbay_gpu_power_limit_watts', 'GPU power limit.', (g) => g.powerLimitW);

    new Gauge({ name: 'modelbay_download_bytes', help: 'Bytes of the slot\'s files downloaded so far (current or last download).', labelNames: ['slot'], registers: r, collect() {
      this.reset();
      for (const d of s().downloads) this.set({ slot: d.slot }, d.bytes);
    } });
    new Gauge({ name: 'modelbay_download_total_bytes', help: 'Size of the slot\'s download (absent when unknown).', labelNames: ['slot'], registers: r, collect() {
      this.reset();
      for (const d of s().downloads) if (d.total !== null) this.set({ slot: d.slot }, d.total);
    } });
    this.downloadFailures = new Counter({ name: 'modelbay_download_failures_total', help: 'Downloads that failed.', labelNames: ['slot'], registers: r });

    this.requests = new Counter({ name: 'modelbay_embed_requests_total', help: 'Serving requests (/v1/embeddings, /embed_sparse, /embed_all) by outcome.', labelNames: ['slot', 'endpoint', 'outcome'], registers: r });
    this.inputs = new Counter({ name: 'modelbay_embed_inputs_total', help: 'Texts (or token arrays) embedded.', labelNames: ['slot'], registers: r });
    this.tokens = new Counter({ name: 'modelbay_embed_tokens_total', help: 'Tokens embedded, as the model saw them.', labelNames: ['slot'], registers: r });
    this.latency = new Histogram({
      name: 'modelbay_embed_request_duration_seconds', help: 'Time from request to vectors, including a lazy load and the batch wait.', labelNames: ['slot', 'endpoint'], registers: r,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.batchInputs = new Histogram({
      name: 'modelbay_embed_batch_inputs', help: 'Inputs in the dynamic batch each request ran in (1 = alone).', labelNames: ['slot'], registers: r,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    });

    this.off = source.subscribe((event) => {
      if (event.type === 'download') this.onDownload(event.progress.slot, event.progress.phase);
      else if (event.type === 'snapshot') for (const d of event.snapshot.downloads) this.downloadPhase.set(d.slot, d.phase);
    });
  }

  private clearSnapshot: () => void;

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    try {
      return await this.registry.metrics();
    } finally {
      this.clearSnapshot();
    }
  }

  /** `served`: what the host reported for a request it answered; null for a failed one. */
  observeServe(slot: SlotId, endpoint: string, outcome: 'ok' | 'error', seconds: number, served: Pick<ServeResult, 'inputs' | 'tokens' | 'batch'> | null): void {
    this.requests.inc({ slot, endpoint, outcome });
    this.latency.observe({ slot, endpoint }, seconds);
    if (!served) return;
    this.inputs.inc({ slot }, served.inputs);
    this.tokens.inc({ slot }, served.tokens);
    this.batchInputs.observe({ slot }, served.batch?.inputs ?? served.inputs);
  }

  close(): void {
    this.off();
  }

  private onDownload(slot: SlotId, phase: string): void {
    const before = this.downloadPhase.get(slot);
    this.downloadPhase.set(slot, phase);
    if (phase === 'failed' && before !== 'failed') this.downloadFailures.inc({ slot });
  }
}
