/**
 * Soak benchmark: 5,000 load → embed → evict cycles through the real App and a real
 * session host, measuring memory drift after warm-up.
 *
 *   main_rss_growth_pct  main process RSS at cycle 5,000 vs cycle 1,000 (after GC)
 *   host_rss_growth_pct  the session host's RSS over the same cycles (a second, pinned
 *                        slot keeps the host alive, so it is one process throughout)
 *   children_left        session-host processes still alive after shutdown
 *
 * Goal: ≤ 10 % each, 0 children. Prints progress, then one JSON line (the last line).
 * `SOAK_CYCLES` and `SOAK_WARMUP` change the counts.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/main/app/app.js';
import { SettingsStore } from '../src/main/core/state/settings-store.js';
import { createFileTokenStore } from '../src/main/core/state/token-store.js';
import { createMemoryArtifacts } from '../src/devkit/artifacts/memory-artifacts.js';
import { sourceHostLauncher } from '../src/devkit/source-host.js';

const CYCLES = Number(process.env.SOAK_CYCLES ?? 5000);
const WARMUP = Number(process.env.SOAK_WARMUP ?? 1000);

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function must(p: Promise<{ ok: boolean; error?: { code: string; message: string } }>): Promise<void> {
  const r = await p;
  if (!r.ok) throw new Error(`${r.error?.code}: ${r.error?.message}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'modelbay-soak-'));
  const settings = await SettingsStore.open({ dir });
  const artifacts = await createMemoryArtifacts({ dir: join(dir, 'models'), ready: ['E1', 'E2'], vocab: 2000, dim: 64 });
  const app = createApp({
    mode: 'headless', version: 'soak', settings, tokens: createFileTokenStore(join(dir, 'hf-token')), artifacts,
    launcher: sourceHostLauncher(), gpu: { nvidiaSmi: null }, env: { HOME: dir, HF_HOME: join(dir, 'hf') },
    hostLoadOptions: { intraOpNumThreads: 1, batchSize: 8, maxSequenceLength: 32 },
  });
  // A dashboard is connected the whole time: events are produced and delivered.
  let events = 0;
  const off = app.subscribe(() => events++);
  await app.start();
  await must(app.execute('pin', { slot: 'E2' }));
  await must(app.execute('load', { slot: 'E2' }));
  const hostPid = app.snapshot().runtime.hosts[0]?.pid ?? 0;
  const texts = ['a soak test text', 'another one with more words in it'];
  let mainAt = 0;
  let hostAt = 0;
  const started = performance.now();
  for (let i = 1; i <= CYCLES; i++) {
    await must(app.execute('load', { slot: 'E1' }));
    await must(app.execute('embed', { slot: 'E1', texts }));
    await must(app.execute('evict', { slot: 'E1' }));
    if (i === WARMUP || i === CYCLES || i % 1000 === 0) {
      gc();
      const m = process.memoryUsage().rss;
      const h = rssOf(hostPid);
      if (i === WARMUP) {
        mainAt = m;
        hostAt = h;
      }
      console.log(`cycle ${i}: main ${(m / 1e6).toFixed(1)} MB, host ${(h / 1e6).toFixed(1)} MB, ${((performance.now() - started) / i).toFixed(1)} ms/cycle, ${events} events`);
    }
  }
  gc();
  const mainEnd = process.memoryUsage().rss;
  const hostEnd = rssOf(hostPid);
  const pids = app.snapshot().runtime.hosts.map((h) => h.pid);
  off();
  await app.shutdown();
  await new Promise((r) => setTimeout(r, 500));
  const childrenLeft = pids.filter((p): p is number => p !== null && alive(p)).length;
  await rm(dir, { recursive: true, force: true });
  const pct = (a: number, b: number): number => Math.round(((b - a) / a) * 1000) / 10;
  console.log(JSON.stringify({ cycles: CYCLES, main_rss_growth_pct: pct(mainAt, mainEnd), host_rss_growth_pct: pct(hostAt, hostEnd), children_left: childrenLeft }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
