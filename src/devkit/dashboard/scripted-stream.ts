/**
 * The live load bench:ui puts on the dashboard: GPU samples, the progress of every download
 * under way and history points, each at its own rate, through the scripted backend's
 * `emit`. `scriptedStream` runs in the page (src/devkit/dashboard/scripted-api.ts sends its
 * source there), so it may use only type imports and nothing from its module scope.
 */
import type { AppEvent } from '../../shared/contract/api.js';
import type { SlotDownloadProgress } from '../../shared/artifacts/artifacts.js';
import type { Scenario } from './scripted-scenario.js';

/** Events per second of each kind. */
export interface StreamOptions {
  gpuHz: number;
  downloadHz: number;
  historyHz: number;
}

export function scriptedStream(scenario: Scenario, emit: (event: AppEvent) => void): { start(options: StreamOptions): void; stop(): void } {
  const { downloads, devices, gpuSample, historyPoint } = scenario;
  const timers: number[] = [];
  let tick = 0;
  const stop = (): void => {
    while (timers.length > 0) window.clearInterval(timers.pop());
  };
  const start = (stream: StreamOptions): void => {
    stop();
    timers.push(window.setInterval(() => emit({ type: 'gpu', sample: gpuSample(Date.now(), tick++) }), 1000 / stream.gpuHz));
    for (const id of [...downloads.keys()]) {
      timers.push(window.setInterval(() => {
        const d = downloads.get(id) as SlotDownloadProgress;
        if (d.phase !== 'downloading') return;
        const step = d.speedBps / stream.downloadHz;
        const files = d.files.map((f) => {
          const total = f.total ?? 0;
          const bytes = f.bytes + step / d.files.length >= total ? 0 : f.bytes + step / d.files.length; // wraps so the bench never runs out
          return { ...f, bytes, etaSeconds: (total - bytes) / Math.max(1, f.speedBps) };
        });
        const bytes = files.reduce((a, f) => a + f.bytes, 0);
        const next: SlotDownloadProgress = { ...d, files, bytes, etaSeconds: ((d.total ?? 0) - bytes) / d.speedBps, speedBps: d.speedBps * (0.95 + Math.random() * 0.1) };
        downloads.set(id, next);
        emit({ type: 'download', progress: next });
      }, 1000 / stream.downloadHz));
    }
    let i = 600;
    timers.push(window.setInterval(() => {
      const t = Date.now();
      i++;
      emit({ type: 'history', points: devices.map((d) => historyPoint(t, i % 600, d.device)) });
    }, 1000 / stream.historyHz));
  };
  return { start, stop };
}
