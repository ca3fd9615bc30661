/**
 * What each `modelbay` command does against a running server, and how it prints: a table
 * for people, JSON with --json (`pull --json`: JSON lines of progress, then the result).
 */
import type { AppSnapshot, VerifyReport } from '../shared/contract/api.js';
import type { SlotDownloadProgress } from '../shared/artifacts/artifacts.js';
import { formatBytes, formatPercent } from '../shared/values/bytes.js';
import { ModelbayError } from '../shared/errors/errors.js';
import { ENDPOINT_FOR_KIND, servingKind } from '../shared/slots/serving.js';
import type { SlotId } from '../shared/slots/slots.js';
import type { ParsedCommand } from './commands-table.js';
import { ProgressLine } from './progress-line.js';
import type { ServerClient } from './server-client.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

function ago(at: number | null, now: number): string {
  if (at === null) return '-';
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

interface SlotRow {
  slot: SlotId;
  name: string;
  state: string;
  repo: string | null;
  revision: string | null;
  variant: string | null;
  sizeBytes: number | null;
  ready: string | null;
  kind: string | null;
  pinned: boolean;
  device: string;
}

function slotRows(snap: AppSnapshot): SlotRow[] {
  return snap.slots.map((s) => {
    const c = snap.catalog.find((x) => x.slot === s.id);
    const r = snap.readiness?.slots.find((x) => x.slot === s.id);
    const size = c?.files.reduce((n, f) => n + (f.size ?? 0), 0) ?? 0;
    return {
      slot: s.id, name: s.name, state: s.state, repo: c?.repo ?? null, revision: c?.revision ?? null, variant: c?.variant ?? null,
      sizeBytes: size || null, ready: r?.status ?? null, kind: c?.repo ? servingKind(s.id, c.pooling) : null, pinned: s.pinned, device: s.device,
    };
  });
}

export async function runCommand(p: ParsedCommand, client: ServerClient, io: Output): Promise<void> {
  const print = (json: unknown, human: () => string): void => io.out(p.json ? `${JSON.stringify(json, null, 2)}\n` : human());
  const slot = p.slots[0] as SlotId;
  switch (p.command) {
    case 'status': {
      const snap = await client.command('getSnapshot');
      const loaded = snap.slots.filter((s) => s.state === 'loaded');
      const status = {
        url: client.url, version: snap.runtime.version, mode: snap.runtime.mode,
        ready: snap.readiness?.ready ?? null, total: snap.readiness?.total ?? snap.slots.length, missingBytes: snap.readiness?.missingBytes ?? null,
        loaded: loaded.map((s) => s.id), stats: snap.stats,
        devices: snap.devices.map((d) => ({ device: d.device, budgetBytes: d.budgetBytes, allocatedBytes: d.allocatedBytes, level: d.level })),
        queueDepth: snap.serving?.queueDepth ?? {},
      };
      print(status, () => `Modelbay ${status.version} at ${status.url}\n` +
        `Ready: ${status.ready ?? '?'}/${status.total}${status.missingBytes ? ` · ${formatBytes(status.missingBytes)} missing` : ''}\n` +
        `Loaded: ${loaded.length ? loaded.map((s) => s.id).join(', ') : 'none'}\n` +
        status.devices.map((d) => `${d.device}: ${formatBytes(d.allocatedBytes)} / ${formatBytes(d.budgetBytes)} (${d.level})`).join('\n') + '\n');
      return;
    }
    case 'ls': {
      const rows = slotRows(await client.command('getSnapshot'));
      print(rows, () => table([['SLOT', 'NAME', 'STATE', 'READY', 'REPO', 'VARIANT', 'SIZE'], ...rows.map((r) => [
        r.slot, r.name, r.state, r.ready ?? '-', r.repo ?? '(no model)', r.variant ?? '-', r.sizeBytes === null ? '-' : formatBytes(r.sizeBytes),
      ])]));
      return;
    }
    case 'ps': {
      const snap = await client.command('getSnapshot');
      const rows = snap.slots.filter((s) => s.state === 'loaded' || s.state === 'loading').map((s) => ({
        slot: s.id, name: s.name, state: s.state, device: s.device, measuredBytes: s.measuredBytes, estimateBytes: s.estimateBytes,
        lastUsedAt: s.lastUsedAt, uses: s.useCount, pinned: s.pinned, queueDepth: snap.serving?.queueDepth[s.id] ?? 0,
      }));
      print(rows, () => rows.length === 0 ? 'No model is loaded.\n' : table([['SLOT', 'NAME', 'DEVICE', 'MEMORY', 'LAST USED', 'USES', 'PINNED'], ...rows.map((r) => [
        r.slot, r.name, r.device, r.measuredBytes === null ? `~${formatBytes(r.estimateBytes)}` : formatBytes(r.measuredBytes), ago(r.lastUsedAt, snap.at), String(r.uses), r.pinned ? 'yes' : '',
      ])]));
      return;
    }
    case 'pull': return pull(p, client, io);
    case 'update': {
      const result = await withProgress(p, client, io, (d) => d.slot === slot, () => client.command('applyUpdate', { slot }));
      print(result, () => `${slot} now uses ${result.to.slice(0, 12)} (was ${result.from.slice(0, 12)})${result.reloaded ? ', loaded again' : ''}.\n`);
      return;
    }
    case 'load': case 'unload': case 'pin': case 'unpin': case 'evict': {
      const result = p.command === 'evict' ? await client.command('evict', { slot, force: p.flags.force === true }) : await client.command(p.command, { slot });
      print(result, () => `${result.id} ${result.name}: ${result.state}${result.pinned ? ' (pinned)' : ''} on ${result.device}\n`);
      return;
    }
    case 'verify': {
      let slots = p.slots;
      if (slots.length === 0) {
        const snap = await client.command('getSnapshot');
        slots = (snap.readiness?.slots ?? []).filter((r) => r.status === 'ready' || r.status === 'partial' || r.status === 'failed').map((r) => r.slot);
      }
      const reports: VerifyReport[] = [];
      for (const s of slots) reports.push(await client.command('verify', { slot: s }));
      print(reports, () => reports.length === 0 ? 'No slot has files to verify.\n' : reports.map((r) => `${r.slot}: ${r.ok ? 'ok' : 'FAILED'}${r.files.filter((f) => !f.ok).map((f) => `\n  ${f.path}: ${f.reason ?? 'mismatch'}`).join('')}`).join('\n') + '\n');
      if (reports.some((r) => !r.ok)) throw new ModelbayError('EMB-E108', `Verification failed for ${reports.filter((r) => !r.ok).map((r) => r.slot).join(', ')}.`, {});
      return;
    }
    case 'rm': {
      const report = await client.command('clearSlot', { slot });
      print(report, () => `${slot}'s files were deleted. Ready: ${report.ready}/${report.total}.\n`);
      return;
    }
    case 'gpu': {
      const snap = await client.command('getSnapshot');
      const gpu = { sample: snap.gpu, devices: snap.devices, hosts: snap.runtime.hosts };
      print(gpu, () => {
        const lines: string[] = [];
        if (!snap.gpu?.available) lines.push(`No GPU: ${snap.gpu?.reason ?? 'no sample yet'}`);
        for (const g of snap.gpu?.gpus ?? []) {
          const mem = g.memoryUsedBytes !== null && g.memoryTotalBytes !== null ? `${formatBytes(g.memoryUsedBytes)} / ${formatBytes(g.memoryTotalBytes)}` : 'memory unknown';
          lines.push(`GPU ${g.index} ${g.name}: ${mem} · ${g.utilizationPct ?? '?'}% · ${g.temperatureC ?? '?'}°C · ${g.powerDrawW ?? '?'} W`);
          for (const pr of (snap.gpu?.processes ?? []).filter((x) => x.gpuUuid === g.uuid)) lines.push(`  pid ${pr.pid} ${pr.name}: ${pr.usedMemoryBytes === null ? '?' : formatBytes(pr.usedMemoryBytes)}`);
        }
        for (const d of snap.devices) lines.push(`Budget ${d.device}: ${formatBytes(d.allocatedBytes)} / ${formatBytes(d.budgetBytes)} (${formatPercent(d.ratio)}, ${d.level})`);
        for (const h of snap.runtime.hosts) lines.push(`Session host ${h.device}: pid ${h.pid ?? '?'}, ${h.sessions} model(s)`);
        return `${lines.join('\n')}\n`;
      });
      return;
    }
    case 'embed': {
      const snap = await client.command('getSnapshot');
      const c = snap.catalog.find((x) => x.slot === slot);
      const kind = c?.repo ? servingKind(slot, c.pooling) : 'dense';
      const body = kind === 'dense' ? { model: slot, input: p.texts, encoding_format: 'float' } : { model: slot, inputs: p.texts };
      const answer = await client.serve(ENDPOINT_FOR_KIND[kind], body);
      print(answer, () => {
        if (kind === 'dense') {
          const data = (answer as { data: Array<{ embedding: number[] }> }).data;
          return data.map((d, i) => `${JSON.stringify(p.texts[i])}: ${d.embedding.length} dims [${d.embedding.slice(0, 4).map((x) => x.toFixed(4)).join(', ')}, …]`).join('\n') + '\n';
        }
        const items = answer as unknown[][];
        return items.map((v, i) => `${JSON.stringify(p.texts[i])}: ${v.length} ${kind === 'sparse' ? 'terms' : 'token vectors'}`).join('\n') + '\n';
      });
      return;
    }
    case 'serve': case 'token':
      throw new ModelbayError('EMB-E500', `${p.command} is run by the bin script.`, {});
  }
}

/** Runs `work` while a progress bar (or, with --json, JSON lines) follows the downloads `wanted` picks. */
async function withProgress<T>(p: ParsedCommand, client: ServerClient, io: Output, wanted: (d: SlotDownloadProgress) => boolean, work: () => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const latest = new Map<SlotId, SlotDownloadProgress>();
  const bar = !p.json && io.isTTY ? new ProgressLine((t) => io.err(t)) : null;
  const following = client.events((event) => {
    if (event.type !== 'download' || !wanted(event.progress)) return;
    latest.set(event.progress.slot, event.progress);
    if (p.json) io.out(`${JSON.stringify({ type: 'progress', ...event.progress })}\n`);
    else bar?.show([...latest.values()]);
  }, stop.signal);
  following.catch(() => undefined);
  try {
    return await work();
  } finally {
    bar?.done();
    stop.abort();
    await following.catch(() => undefined);
  }
}

async function pull(p: ParsedCommand, client: ServerClient, io: Output): Promise<void> {
  const wanted = new Set<SlotId>(p.slots);
  const results = await withProgress(p, client, io, (d) => p.flags.all === true || wanted.has(d.slot), async () => p.flags.all
    ? (await client.command('downloadAll')).results
    : Promise.all(p.slots.map(async (slot) => {
      try {
        await client.command('download', { slot });
        return { slot, ok: true };
      } catch (e) {
        if (!(e instanceof ModelbayError)) throw e;
        return { slot, ok: false, error: e.toJSON() };
      }
    })));
  if (p.json) io.out(`${JSON.stringify({ type: 'result', results })}\n`);
  else io.out(results.map((r) => `${r.slot}: ${r.ok ? 'downloaded and verified' : `${r.error?.code ?? ''} ${r.error?.message ?? 'failed'}`}`).join('\n') + '\n');
  const failed = results.filter((r) => !r.ok && r.error?.details.skipped !== 'no-model');
  if (failed.length > 0) {
    const first = failed[0]?.error;
    throw new ModelbayError(first?.code ?? 'EMB-E500', `${failed.length} slot(s) could not be pulled: ${failed.map((f) => f.slot).join(', ')}.`, {});
  }
}
