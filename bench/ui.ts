/**
 * The dashboard under a live event stream, in Chromium: 13 slots, GPU samples at 2/s,
 * 3 downloads at 10 progress events/s each and history points every second, delivered
 * through the scripted window.modelbay. Measures long tasks (> 50 ms) and frame times
 * (requestAnimationFrame deltas). Goals: 0 long tasks, p95 frame ≤ 17 ms.
 * BENCH_UI_SECONDS shortens the run (default 60).
 * Last line: {"seconds","long_tasks","p95_frame_ms","events"}.
 */
import { launchBrowser } from '../src/devkit/browser.js';
import { buildRenderer, serveStatic } from '../src/devkit/renderer-build.js';
import { scriptedApiScript, type ScriptedControl } from '../src/devkit/dashboard/scripted-api.js';

const SECONDS = Number(process.env['BENCH_UI_SECONDS'] ?? 60);

/** Installed before the page's own scripts, so it sees every frame and long task. */
const PROBE = `
  window.__probe = { frames: [], longTasks: [], recording: false };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (window.__probe.recording) window.__probe.longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: false });
  let last = 0;
  const frame = (t) => {
    if (window.__probe.recording && last > 0) window.__probe.frames.push(t - last);
    last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
`;

interface Probe {
  frames: number[];
  longTasks: number[];
  recording: boolean;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

const built = await buildRenderer();
const server = await serveStatic(built.dir);
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.addInitScript(PROBE);
  await page.addInitScript(scriptedApiScript({ gpu: 'present' }));
  await page.goto(server.url);
  await page.locator('[data-slot="E13"] .slot-name').waitFor();
  await page.waitForTimeout(1000);

  const startEvents = await page.evaluate(() => {
    const w = window as unknown as { __probe: Probe; __scripted: ScriptedControl };
    w.__probe.recording = true;
    w.__scripted.startStream({ gpuHz: 2, downloadHz: 10, historyHz: 1 });
    return w.__scripted.delivered;
  });
  await page.waitForTimeout(SECONDS * 1000);
  const result = await page.evaluate(() => {
    const w = window as unknown as { __probe: Probe; __scripted: ScriptedControl };
    w.__probe.recording = false;
    w.__scripted.stopStream();
    return { frames: w.__probe.frames, longTasks: w.__probe.longTasks, delivered: w.__scripted.delivered };
  });

  const frames = [...result.frames].sort((a, b) => a - b);
  const events = result.delivered - startEvents;
  const p95 = percentile(frames, 0.95);
  console.log(`ui bench: ${SECONDS} s, 13 slots, GPU 2/s, 3 downloads × 10/s, history 1/s`);
  console.log(`events delivered   ${events} (${(events / SECONDS).toFixed(1)}/s)`);
  console.log(`frames             ${frames.length} (${(frames.length / SECONDS).toFixed(1)}/s)`);
  console.log(`frame ms           p50 ${percentile(frames, 0.5).toFixed(1)}  p95 ${p95.toFixed(1)}  p99 ${percentile(frames, 0.99).toFixed(1)}  max ${(frames[frames.length - 1] ?? NaN).toFixed(1)}`);
  console.log(`long tasks > 50 ms ${result.longTasks.length}${result.longTasks.length ? ` (longest ${Math.max(...result.longTasks).toFixed(0)} ms)` : ''}`);
  console.log(`goals: 0 long tasks → ${result.longTasks.length === 0 ? 'met' : 'missed'}; p95 frame ≤ 17 ms → ${p95 <= 17 ? 'met' : 'missed'}`);
  console.log(JSON.stringify({ seconds: SECONDS, long_tasks: result.longTasks.length, p95_frame_ms: Math.round(p95 * 10) / 10, events }));
} finally {
  await browser.close();
  await server.close();
  await built.cleanup();
}
