/**
 * The world the scripted `window.modelbay` starts from (src/devkit/dashboard/scripted-api.ts
 * holds its behaviour): 13 slots in every state, their catalog entries, three downloads
 * under way, the GPU, budgets and ten minutes of history, the activity log, a shared HF
 * cache on disk, health and usage, and an update waiting. `scriptedScenario` runs in the
 * page (its source is sent there), so it may use only type imports and nothing from its
 * module scope.
 *
 * The figures are realistic: one RTX 4080 SUPER with the memory, power and processes of
 * the real capture in src/devkit/nvidia-smi/captures (16376 MiB total, 434 MiB
 * reserved, 84 W of 320 W under load, kwin_wayland and two ffmpeg processes).
 */
import type { ActivityEntry } from '../../shared/contract/activity.js';
import type { AppSnapshot, CommandName, HistoryPoint } from '../../shared/contract/api.js';
import type { CatalogSlotView, FileProgress, SlotDownloadProgress } from '../../shared/artifacts/artifacts.js';
import type { DiskModel } from '../../shared/artifacts/discovery.js';
import type { SlotUsage } from '../../shared/slots/usage.js';
import type { UpdatesView } from '../../shared/artifacts/updates.js';
import type { SerializedError } from '../../shared/errors/errors.js';
import type { GpuInfo, GpuSample } from '../../shared/devices/gpu.js';
import type { LoadPreview } from '../../shared/slots/load-preview.js';
import type { SettingsView } from '../../shared/settings/settings.js';
import type { SlotId } from '../../shared/slots/slots.js';
import type { DeviceBudgetSnapshot, SlotSnapshot, SlotState } from '../../shared/slots/state.js';

/** How the scripted backend behaves: the machine it shows and which commands fail. */
export interface ScriptedApiOptions {
  /** driver-lost: nvidia-smi is there but cannot reach the driver (EMB-E304). */
  gpu: 'present' | 'absent' | 'driver-lost';
  /** Commands that reject, with the error they reject with. */
  failures?: Partial<Record<CommandName, SerializedError>>;
  mode?: 'electron' | 'headless';
  /** Milliseconds a load takes before the slot turns loaded. */
  loadMs?: number;
  /** Whether onnxruntime's CUDA provider is present (default: when a GPU is). */
  cudaProvider?: boolean;
  /** HF_HUB_OFFLINE as the settings report it. */
  offline?: boolean;
  /** What previewLoad answers per slot (default: fits, evicts nothing). */
  previews?: Partial<Record<SlotId, LoadPreview>>;
  /** `download` settles only when the download is paused or cancelled, as the real backend's does at its end. */
  holdDownloads?: boolean;
}

/** What the catalog offers a slot, and the state it starts in. */
export interface SlotSpec {
  state: SlotState; repo: string | null; status: CatalogSlotView['status']; variant: CatalogSlotView['variant']; license: string | null;
  gated?: boolean; size: number; device: string; measured?: number; pinned?: boolean; preload?: boolean; uses?: number; lastMin?: number;
  error?: SerializedError; files: string[]; note?: string;
}

/** The starting state; the maps and objects are the scripted backend's to change. */
export interface Scenario {
  ids: SlotId[];
  spec: Record<SlotId, SlotSpec>;
  slots: Map<SlotId, SlotSnapshot>;
  catalog: CatalogSlotView[];
  downloads: Map<SlotId, SlotDownloadProgress>;
  /** A download of `id` under way at `fraction` of its bytes. */
  downloadOf: (id: SlotId, fraction: number, speedBps: number) => SlotDownloadProgress;
  /** The GPU sample at time `t`; `phase` moves the load figures along. */
  gpuSample: (t: number, phase: number) => GpuSample;
  thresholds: { low: number; medium: number; high: number };
  devices: DeviceBudgetSnapshot[];
  /** Point `i` (0–599) of a ten-minute history of `device`, stamped `t`. */
  historyPoint: (t: number, i: number, device: string) => HistoryPoint;
  history: HistoryPoint[];
  activity: ActivityEntry[];
  stats: AppSnapshot['stats'];
  settings: SettingsView;
  disk: AppSnapshot['disk'];
  usage: Map<SlotId, SlotUsage>;
  updates: UpdatesView;
}

export function scriptedScenario(options: ScriptedApiOptions): Scenario {
  const MiB = 1024 * 1024;
  const GiB = 1024 * MiB;
  const now = Date.now();
  const ids: SlotId[] = ['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9', 'E10', 'E11', 'E12', 'E13'];
  const names: Record<SlotId, string> = {
    E1: 'Semantic', E2: 'TemporalRecent', E3: 'TemporalPeriodic', E4: 'TemporalPositional', E5: 'Causal', E6: 'Sparse', E7: 'Code',
    E8: 'Graph', E9: 'Hdc', E10: 'Multimodal', E11: 'Entity', E12: 'LateInteraction', E13: 'KeywordSplade',
  };
  const spec: Record<SlotId, SlotSpec> = {
    E1: { state: 'loaded', repo: 'Xenova/e5-large-v2', status: 'real', variant: 'int8', license: 'mit', size: 337_000_000, device: 'cuda:0', measured: 702 * MiB, pinned: true, preload: true, uses: 1843, lastMin: 0.1, files: ['onnx/model_quantized.onnx', 'tokenizer.json'] },
    E2: { state: 'ready', repo: 'Xenova/jina-embeddings-v2-small-en', status: 'stand-in', variant: 'fp32', license: 'apache-2.0', size: 120_000_000, device: 'cuda:0', uses: 12, lastMin: 240, files: ['onnx/model.onnx', 'tokenizer.json'], note: '512-d stand-in: no natural weights for this slot' },
    E3: { state: 'loading', repo: 'Xenova/jina-embeddings-v2-small-en', status: 'stand-in', variant: 'fp32', license: 'apache-2.0', size: 120_000_000, device: 'cuda:0', uses: 3, lastMin: 60 * 26, files: ['onnx/model.onnx', 'tokenizer.json'], note: '512-d stand-in' },
    E4: { state: 'missing', repo: 'Xenova/jina-embeddings-v2-small-en', status: 'stand-in', variant: 'fp32', license: 'apache-2.0', size: 120_000_000, device: 'cuda:0', files: ['onnx/model.onnx', 'tokenizer.json'], note: '512-d stand-in' },
    E5: { state: 'missing', repo: null, status: 'none', variant: null, license: 'apache-2.0', size: 150_000_000, device: 'cuda:0', files: [], note: 'allenai/longformer-base-4096 has no ONNX export' },
    E6: { state: 'downloading', repo: 'prithivida/Splade_PP_en_v1', status: 'real', variant: 'fp32', license: 'apache-2.0', size: 532_000_000, device: 'cuda:0', files: ['onnx/model.onnx', 'tokenizer.json'] },
    E7: { state: 'downloading', repo: 'jinaai/jina-embeddings-v2-base-code', status: 'stand-in', variant: 'fp32', license: 'apache-2.0', size: 640_000_000, device: 'cuda:0', files: ['onnx/model.onnx', 'tokenizer.json'], note: '768-d stand-in for Qodo-Embed-1-1.5B' },
    E8: { state: 'loaded', repo: 'sentence-transformers/all-MiniLM-L6-v2', status: 'real', variant: 'fp32', license: 'apache-2.0', size: 90_405_214, device: 'cuda:0', measured: 214 * MiB, uses: 96, lastMin: 3, files: ['onnx/model.onnx', 'tokenizer.json'] },
    E9: { state: 'missing', repo: null, status: 'none', variant: null, license: null, size: 50_000_000, device: 'cpu', files: [], note: 'a fixed projection: no weights' },
    E10: { state: 'downloading', repo: 'Xenova/clip-vit-large-patch14', status: 'real', variant: 'fp32', license: null, size: 1_708_000_000, device: 'cuda:0', files: ['onnx/text_model.onnx', 'onnx/vision_model.onnx'] },
    E11: { state: 'loaded', repo: 'Xenova/all-MiniLM-L6-v2', status: 'real', variant: 'int8', license: 'apache-2.0', size: 23_000_000, device: 'cpu', measured: 61 * MiB, uses: 411, lastMin: 12, files: ['onnx/model_quantized.onnx', 'tokenizer.json'] },
    E12: { state: 'failed', repo: 'colbert-ir/colbertv2.0', status: 'real', variant: 'fp32', license: 'mit', size: 436_000_000, device: 'cuda:0', files: ['model.onnx', 'tokenizer.json'],
      error: { code: 'EMB-E108', message: 'model.onnx: expected sha256 3f1a…9c02, got 77b0…e413; the file was discarded.', details: { file: 'model.onnx' } } },
    E13: { state: 'failed', repo: 'naver/splade-v3', status: 'real', variant: 'fp32', license: 'cc-by-nc-sa-4.0', gated: true, size: 532_000_000, device: 'cuda:0', files: ['onnx/model.onnx'],
      error: { code: 'EMB-E102', message: 'naver/splade-v3 is gated: 401 from the Hub without a token.', details: { repo: 'naver/splade-v3' } } },
  };

  const slots = new Map<SlotId, SlotSnapshot>();
  const catalog: CatalogSlotView[] = [];
  for (const id of ids) {
    const s = spec[id];
    slots.set(id, {
      id, name: names[id], state: s.state, error: s.error ?? null, health: s.state === 'loaded' ? 'healthy' : 'unknown',
      // Without a GPU every slot runs on the CPU, as the App places them.
      pinned: s.pinned ?? false, preload: s.preload ?? false, device: options.gpu === 'present' ? s.device : 'cpu', estimateBytes: s.size, measuredBytes: s.measured ?? null,
      lastUsedAt: s.lastMin === undefined ? null : now - s.lastMin * 60_000, useCount: s.uses ?? 0, loadCount: s.uses ? 2 : 0,
      failures: s.error ? 1 : 0, idleTtlMs: null, loadedAt: s.state === 'loaded' ? now - 3600_000 : null, lastLoadMs: s.state === 'loaded' ? 1840 : null,
    });
    catalog.push({
      slot: id, status: s.status, repo: s.repo, revision: s.repo ? 'main' : null, variant: s.variant,
      files: s.files.map((path, i) => ({ path, role: i === 0 ? 'model' : 'tokenizer', size: i === 0 ? s.size : 711_396, sha256: null })),
      dims: 384, pooling: 'mean', license: s.license, gated: s.gated ?? false, note: s.note ?? null,
    });
  }

  const downloadOf = (id: SlotId, fraction: number, speedBps: number): SlotDownloadProgress => {
    const s = spec[id];
    const files: FileProgress[] = s.files.map((file, i) => {
      const total = s.files.length === 1 ? s.size : i === 0 ? Math.round(s.size * (id === 'E10' ? 0.29 : 1)) : id === 'E10' ? Math.round(s.size * 0.71) : 711_396;
      return { slot: id, file, phase: 'downloading', bytes: Math.round(total * fraction), total, speedBps: speedBps / s.files.length, etaSeconds: null, error: null, retry: null };
    });
    const total = files.reduce((a, f) => a + (f.total ?? 0), 0);
    return { slot: id, phase: 'downloading', bytes: files.reduce((a, f) => a + f.bytes, 0), total, speedBps, etaSeconds: null, files, error: null, retry: null };
  };
  const downloads = new Map<SlotId, SlotDownloadProgress>([
    ['E6', downloadOf('E6', 0.42, 38e6)],
    ['E7', downloadOf('E7', 0.08, 21e6)],
    ['E10', downloadOf('E10', 0.67, 52e6)],
  ]);

  const gpuBase: GpuInfo = {
    index: 0, uuid: 'GPU-00000000-0000-0000-0000-000000000000', name: 'NVIDIA GeForce RTX 4080 SUPER',
    memoryTotalBytes: 16376 * MiB, memoryReservedBytes: 434 * MiB, memoryUsedBytes: 2734 * MiB, memoryFreeBytes: 13208 * MiB,
    utilizationPct: 7, temperatureC: 46, powerDrawW: 84.24, powerLimitW: 320, fanPct: null, smClockMHz: 2805, migMode: null,
  };
  const gpuSample = (t: number, phase: number): GpuSample =>
    options.gpu === 'driver-lost'
      ? {
          at: t, available: false, gpus: [], processes: [], state: 'driver-lost', code: 'EMB-E304', title: 'NVIDIA driver not reachable — retrying',
          reason: 'nvidia-smi cannot reach the NVIDIA driver: "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." Models run on the CPU; checking again in 6 s. (EMB-E304)',
        }
      : options.gpu === 'absent'
      ? { at: t, available: false, reason: 'nvidia-smi was not found on PATH or in the usual places (EMB-E301).', gpus: [], processes: [] }
      : {
          at: t, available: true, reason: null,
          gpus: [{ ...gpuBase, utilizationPct: Math.round(7 + 30 * Math.abs(Math.sin(phase / 7))), temperatureC: 46 + Math.round(3 * Math.abs(Math.sin(phase / 40))), powerDrawW: Math.round((84.24 + 60 * Math.abs(Math.sin(phase / 7))) * 100) / 100 }],
          processes: [
            { gpuUuid: gpuBase.uuid, gpuIndex: 0, pid: 2165, name: '/usr/bin/kwin_wayland', usedMemoryBytes: 25 * MiB },
            { gpuUuid: gpuBase.uuid, gpuIndex: 0, pid: 5022, name: 'ffmpeg', usedMemoryBytes: 503 * MiB },
            { gpuUuid: gpuBase.uuid, gpuIndex: 0, pid: 5021, name: 'ffmpeg', usedMemoryBytes: 360 * MiB },
            { gpuUuid: gpuBase.uuid, gpuIndex: 0, pid: 48213, name: 'modelbay session host (cuda:0)', usedMemoryBytes: 1260 * MiB },
          ],
        };

  const thresholds = { low: 0.5, medium: 0.8, high: 0.95 };
  const device = (id: string, budget: number, allocs: Array<[SlotId, number]>, deviceFree: number | null): DeviceBudgetSnapshot => {
    const allocated = allocs.reduce((a, [, b]) => a + b, 0);
    const ratio = allocated / budget;
    return {
      device: id, budgetBytes: budget, allocatedBytes: allocated, availableBytes: budget - allocated, deviceFreeBytes: deviceFree, ratio,
      level: ratio < thresholds.low ? 'Low' : ratio < thresholds.medium ? 'Medium' : ratio < thresholds.high ? 'High' : 'Critical', thresholds,
      allocations: allocs.map(([slot, bytes]) => ({ slot, bytes, measured: true, pinned: slot === 'E1', lastTouched: now })),
    };
  };
  // Without a GPU the same session runs on the CPU: its budget, history and events are the CPU's.
  const gpu = options.gpu === 'present';
  const devices: DeviceBudgetSnapshot[] = !gpu
    ? [device('cpu', 8 * GiB, [['E1', 702 * MiB], ['E8', 214 * MiB], ['E3', 420 * MiB], ['E11', 61 * MiB]], null)]
    : [device('cuda:0', 8 * GiB, [['E1', 702 * MiB], ['E8', 214 * MiB], ['E3', 420 * MiB]], 13208 * MiB), device('cpu', 8 * GiB, [['E11', 61 * MiB]], null)];

  const historyPoint = (t: number, i: number, dev: string): HistoryPoint => {
    const wave = Math.sin(i / 45);
    if (dev === 'cpu' && gpu) return { at: t, device: 'cpu', budgetBytes: 8 * GiB, allocatedBytes: 61 * MiB, deviceUsedBytes: null, deviceTotalBytes: null, slots: { E11: 61 * MiB } };
    const e1 = 702 * MiB;
    const e8 = i > 120 ? 214 * MiB : 0;
    const e12 = i > 200 && i < 380 ? 430 * MiB : 0;
    const e3 = i > 560 ? 420 * MiB : 0;
    const e7 = i > 300 && i < 450 ? Math.round((5.4 + wave) * GiB) : 0;
    const allocated = e1 + e8 + e12 + e3 + e7;
    if (!gpu) return { at: t, device: dev, budgetBytes: 8 * GiB, allocatedBytes: allocated + 61 * MiB, deviceUsedBytes: null, deviceTotalBytes: null, slots: { E1: e1, E8: e8, E12: e12, E3: e3, E7: e7, E11: 61 * MiB } };
    return {
      at: t, device: dev, budgetBytes: 8 * GiB, allocatedBytes: allocated, deviceUsedBytes: allocated + 888 * MiB + 300 * MiB, deviceTotalBytes: 16376 * MiB,
      slots: { E1: e1, E8: e8, E12: e12, E3: e3, E7: e7 },
      utilizationPct: Math.round(7 + (e7 > 0 ? 60 : 20) * Math.abs(Math.sin(i / 7))), temperatureC: 46 + (e7 > 0 ? 18 : 3) + Math.round(3 * Math.sin(i / 40)),
    };
  };
  const history: HistoryPoint[] = [];
  for (let i = 0; i < 600; i++) {
    const t = now - (600 - i) * 1000;
    for (const d of devices) history.push(historyPoint(t, i, d.device));
  }

  const gpuActivity: ActivityEntry[] = [
    { at: now - 560_000, kind: 'loaded', slot: 'E1', message: 'E1 loaded on cuda:0 in 1.8 s (702 MiB measured)' },
    { at: now - 480_000, kind: 'loaded', slot: 'E8', message: 'E8 loaded on cuda:0 in 0.4 s (214 MiB measured)' },
    { at: now - 400_000, kind: 'loaded', slot: 'E12', message: 'E12 loaded on cuda:0 in 1.1 s (430 MiB measured)' },
    { at: now - 300_000, kind: 'loaded', slot: 'E7', message: 'E7 loaded on cuda:0 in 3.2 s (5.4 GiB measured)' },
    { at: now - 290_000, kind: 'pressure', slot: null, message: 'cuda:0 pressure Critical 96 %', device: 'cuda:0', level: 'Critical', ratio: 0.96 },
    { at: now - 289_000, kind: 'evicted', slot: 'E8', message: 'E8 evicted: LRU, budget Critical 96 %', reason: 'lru', device: 'cuda:0', level: 'Critical', ratio: 0.96 },
    { at: now - 200_000, kind: 'evicted', slot: 'E12', message: 'E12 evicted: idle for 10 min', reason: 'idle' },
    { at: now - 150_000, kind: 'unloaded', slot: 'E7', message: 'E7 unloaded by the user' },
    { at: now - 120_000, kind: 'loaded', slot: 'E8', message: 'E8 loaded on cuda:0 in 0.4 s (214 MiB measured)' },
    { at: now - 90_000, kind: 'error', slot: 'E13', message: 'E13 download failed: gated repository', code: 'EMB-E102' },
    { at: now - 60_000, kind: 'verify', slot: 'E12', message: 'E12 verify failed: checksum mismatch in model.onnx', code: 'EMB-E108' },
    { at: now - 30_000, kind: 'download', slot: 'E6', message: 'E6 download started (2 files, 533 MB)' },
    { at: now - 20_000, kind: 'download', slot: 'E10', message: 'E10 download resumed at 67 %' },
    { at: now - 5_000, kind: 'info', slot: 'E3', message: 'E3 loading on cuda:0' },
  ];
  const activity = gpu ? gpuActivity : gpuActivity.map((e) => ({ ...e, message: e.message.replaceAll('cuda:0', 'cpu'), ...(e.device ? { device: 'cpu' } : {}) }));

  const settings: SettingsView = {
    settings: {
      gpuBudgetBytes: null, cpuBudgetBytes: null, deviceBudgets: {}, releaseWaitMs: 5000, thresholds, cacheDir: null, cacheLimitBytes: null, hfEndpoint: null, downloadConcurrency: 3, downloadLowSpeedBps: 1024, downloadLowSpeedSeconds: 30, downloadPartsPerFile: 4,
      loadConcurrency: 2, idleTtlMs: 600_000, strictGpu: false, autoDownload: false, debugLog: false, slots: {}, modelFolders: [], requireGpu: false,
    },
    token: { set: true, source: 'env', encrypted: false },
    cacheDir: '/home/researcher/.cache/huggingface/hub',
    endpoint: 'https://huggingface.co',
    offline: options.offline ?? false,
  };

  // A cache Python and Modelbay share: E8's model, an older revision, a Windows copy without refs/, a broken download.
  const c1 = '7dbbc90392e2f80f3d3c277d6e90027e55de9125';
  const c0 = '8b3219a92973c328a8e22fadcfa821b5dc75636a';
  const c2 = 'e4ce9877abf3edfe10b0d82785e83bdcb973e22e';
  const c3 = '5f1b8cd78bc4fb444dd171e59b18f3a3af89a079';
  const dModel = (repo: string, commit: string, model: string, bytes: number, usedBy: SlotId[], problems: string[] = []): DiskModel => ({
    id: `hf:${repo}@${commit}:${model}`, origin: 'hf-cache', repo, commit, folder: null, model, externalData: [], tokenizer: 'tokenizer.json', config: 'config.json',
    pooling: 'mean', bytes, complete: problems.length === 0, problems, usedBy,
  });
  const rev = (commit: string, refs: string[], size: number, ageH: number, complete = true) => ({ commit, refs, files: [], sizeOnDisk: size, lastModified: now - ageH * 3_600_000, complete });
  const disk: AppSnapshot['disk'] = {
    scanning: false,
    error: null,
    report: {
      at: now - 40_000, cacheDir: '/home/researcher/.cache/huggingface/hub', computeMs: 38, localFolders: [],
      totalBytes: 90_868_000 + 90_400_000 + 133_000_000 + 23_000_000 + 440_000_000,
      warnings: ['BAAI/bge-base-en-v1.5: e4ce9877abf3: 1 dangling link (onnx/model.onnx)'],
      repos: [
        { repo: 'BAAI/bge-base-en-v1.5', folder: 'models--BAAI--bge-base-en-v1.5', sizeOnDisk: 440_000_000, partialFiles: 1, revisions: [rev(c2, ['main'], 711_000, 50, false)], lastModified: now - 50 * 3_600_000, lastAccessed: now, warnings: ['e4ce9877abf3: 1 dangling link (onnx/model.onnx)'] },
        { repo: 'intfloat/e5-small-v2', folder: 'models--intfloat--e5-small-v2', sizeOnDisk: 133_000_000, partialFiles: 0, revisions: [rev(c3, [], 133_000_000, 24 * 9)], lastModified: now - 24 * 9 * 3_600_000, lastAccessed: now, warnings: [] },
        { repo: 'sentence-transformers/all-MiniLM-L6-v2', folder: 'models--sentence-transformers--all-MiniLM-L6-v2', sizeOnDisk: 181_268_000, partialFiles: 0, revisions: [rev(c1, ['main'], 90_868_000, 3), rev(c0, ['v1.0'], 90_868_000, 24 * 40)], lastModified: now - 3 * 3_600_000, lastAccessed: now, warnings: [] },
        { repo: 'Xenova/all-MiniLM-L6-v2', folder: 'models--Xenova--all-MiniLM-L6-v2', sizeOnDisk: 23_000_000, partialFiles: 0, revisions: [rev(c0, ['main'], 23_000_000, 24 * 3)], lastModified: now - 72 * 3_600_000, lastAccessed: now, warnings: [] },
      ],
      models: [],
    },
  };
  disk.report!.models = [
    dModel('BAAI/bge-base-en-v1.5', c2, 'onnx/model.onnx', 711_000, [], ['onnx/model.onnx is a dangling link (its blob is missing)']),
    dModel('intfloat/e5-small-v2', c3, 'model.onnx', 133_000_000, []),
    dModel('sentence-transformers/all-MiniLM-L6-v2', c1, 'onnx/model.onnx', 90_868_000, ['E8']),
    dModel('sentence-transformers/all-MiniLM-L6-v2', c0, 'onnx/model.onnx', 90_868_000, []),
    dModel('Xenova/all-MiniLM-L6-v2', c0, 'onnx/model_quantized.onnx', 23_000_000, ['E11']),
  ];

  // Health and usage of the loaded slots: E1 busy and healthy, E8 recovering from a failure, E11 idle.
  const usage = new Map<SlotId, SlotUsage>();
  const blank = (slot: SlotId): SlotUsage => ({ slot, health: 'unknown', consecutiveFailures: 0, lastError: null, lastErrorAt: null, lastUsedAt: null, uses: 0, failures: 0, texts: 0, meanMs: null, p95Ms: null, lastProbe: null });
  for (const id of ids) usage.set(id, blank(id));
  usage.set('E1', { ...blank('E1'), health: 'healthy', lastUsedAt: now - 6_000, uses: 1843, texts: 58_976, meanMs: 14.2, p95Ms: 31.7, lastProbe: { slot: 'E1', at: now - 3_600_000, ok: true, ms: 9.1, dims: 1024, error: null } });
  usage.set('E8', { ...blank('E8'), health: 'degraded', consecutiveFailures: 1, failures: 2, lastError: { code: 'EMB-E207', message: 'Running the model failed: input_ids has 600 tokens, the model takes at most 512.', details: {} }, lastErrorAt: now - 95_000, lastUsedAt: now - 180_000, uses: 96, texts: 3_072, meanMs: 6.8, p95Ms: 12.4, lastProbe: { slot: 'E8', at: now - 7_200_000, ok: true, ms: 4.2, dims: 384, error: null } });
  usage.set('E11', { ...blank('E11'), health: 'healthy', lastUsedAt: now - 720_000, uses: 411, texts: 411, meanMs: 3.1, p95Ms: 5.9, lastProbe: null });

  // E8: main moved past the commit in use; an older revision it ran before is still on disk.
  const cOld = 'e4a5c51f1e2b0d0f6a1c3e9b7d2f8a0c4b6e1d3a';
  const updates: UpdatesView = {
    checking: false, lastCheckAt: now - 3_600_000,
    slots: [{ slot: 'E8', repo: 'sentence-transformers/all-MiniLM-L6-v2', revision: 'main', branch: 'main', currentCommit: c0, remoteCommit: c1, status: 'update-available', updateBytes: 90_868_000, checkedAt: now - 3_600_000, error: null }],
    history: [{
      slot: 'E8', repo: 'sentence-transformers/all-MiniLM-L6-v2', active: c0,
      entries: [{ commit: cOld, fetchedAt: now - 40 * 86_400_000, activatedAt: now - 40 * 86_400_000 }, { commit: c0, fetchedAt: now - 9 * 86_400_000, activatedAt: now - 9 * 86_400_000 }],
    }],
  };

  const stats = { loaded: 3, bytes: 977 * MiB, loads: 14, unloads: 6, hits: 2350, failures: 2, evictions: 2 };
  return { ids, spec, slots, catalog, downloads, downloadOf, gpuSample, thresholds, devices, historyPoint, history, activity, stats, settings, disk, usage, updates };
}
