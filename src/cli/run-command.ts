/**
 * What each `modelbay` command does against a running server, and how it prints: a table
 * for people, JSON with --json (`pull --json`: JSON lines of progress, then the result).
 */
import type { AppSnapshot, VerifyReport } from '../shared/contract/api.js';
import type { ReadinessReport } from '../shared/artifacts/artifacts.js';
import { formatBytes, formatPercent } from '../shared/values/bytes.js';
import { count } from '../shared/values/counts.js';
import { ModelbayError } from '../shared/errors/errors.js';
import { aliasesOf } from '../shared/slots/model-names.js';
import { ENDPOINT_FOR_KIND, resolveModelName, servingKind } from '../shared/slots/serving.js';
import { isSlotId, type SlotId } from '../shared/slots/slots.js';
import { modelFilesSentence } from '../shared/slots/state-words.js';
import type { Output, ParsedCommand } from './commands-table.js';
import { withDownloadProgress } from './follow-downloads.js';
import { layoutExport, layoutLock } from './layout-commands.js';
import type { ServerClient } from './server-client.js';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

function ago(at: number | null, now: number): string {
  if (at === null) return '-';
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

/** What `ls` says for a slot with no model, in its state and readiness alike. */
const NO_MODEL = 'no model';

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
    // A slot without a model is not "missing" its files: it has none to have. It reads "no model", as on the dashboard.
    const empty = c ? c.status === 'none' : r?.status === 'no-model';
    return {
      slot: s.id, name: s.name, state: empty ? NO_MODEL : s.state, repo: c?.repo ?? null, revision: c?.revision ?? null, variant: c?.variant ?? null,
      sizeBytes: size || null, ready: empty ? NO_MODEL : r?.status ?? null, kind: c?.repo ? servingKind(s.id, c.pooling) : null, pinned: s.pinned, device: s.device,
    };
  });
}

/** The slots named on the command line: ids as they are, other names through the server's aliases (one snapshot). */
async function resolveSlots(names: string[], client: ServerClient): Promise<SlotId[]> {
  if (names.every(isSlotId)) return names;
  const snap = await client.command('getSnapshot');
  const aliases = aliasesOf(snap.settings.settings);
  const slots = snap.slots.map((s) => ({ id: s.id, name: s.name, repo: snap.catalog.find((c) => c.slot === s.id)?.repo ?? null, alias: aliases[s.id] ?? null }));
  return names.map((name) => {
    const slot = resolveModelName(name, slots);
    if (!slot) throw new ModelbayError('EMB-E022', `There is no slot named ${JSON.stringify(name)}: use E1…E13 or an alias (\`modelbay ls\` lists them).`, { name });
    return slot;
  });
}

function loadedSlots(snap: AppSnapshot): SlotId[] {
  return snap.slots.filter((s) => s.state === 'loaded').map((s) => s.id);
}

export async function runCommand(p: ParsedCommand, client: ServerClient, io: Output): Promise<void> {
  const print = (json: unknown, human: () => string): void => io.out(p.json ? `${JSON.stringify(json, null, 2)}\n` : human());
  const slots = await resolveSlots(p.slots, client);
  const slot = slots[0] as SlotId;
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
        r.slot, r.name, r.state, r.ready ?? '-', r.repo ?? '-', r.variant ?? '-', r.sizeBytes === null ? '-' : formatBytes(r.sizeBytes),
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
    case 'pull': return pull(p, slots, client, io);
    case 'update': {
      const result = await withDownloadProgress(p, client, io, (d) => d.slot === slot, () => client.command('applyUpdate', { slot }));
      print(result, () => `${slot} now uses ${result.to.slice(0, 12)} (was ${result.from.slice(0, 12)})${result.reloaded ? ', loaded again' : ''}.\n`);
      return;
    }
    case 'load': {
      // The load itself says nothing of what made room: compare what was loaded before and after.
      const before = loadedSlots(await client.command('getSnapshot'));
      const result = await client.command('load', { slot });
      const after = new Set(loadedSlots(await client.command('getSnapshot')));
      const evicted = before.filter((s) => s !== slot && !after.has(s));
      print({ ...result, evicted }, () => `${result.id} ${result.name}: ${result.alreadyLoaded ? 'already loaded' : result.state}${result.pinned ? ' (pinned)' : ''} on ${result.device}` +
        `${evicted.length > 0 ? ` (evicted ${evicted.join(', ')} to make room)` : ''}\n`);
      return;
    }
    case 'unload': case 'pin': case 'unpin': case 'evict': {
      const result = p.command === 'evict' ? await client.command('evict', { slot, force: p.flags.force === true }) : await client.command(p.command, { slot });
      print(result, () => `${result.id} ${result.name}: ${result.state}${result.pinned ? ' (pinned)' : ''} on ${result.device}\n`);
      return;
    }
    case 'verify': {
      let chosen = slots;
      if (chosen.length === 0) {
        const snap = await client.command('getSnapshot');
        chosen = (snap.readiness?.slots ?? []).filter((r) => r.status === 'ready' || r.status === 'partial' || r.status === 'failed').map((r) => r.slot);
      }
      const reports: VerifyReport[] = [];
      for (const s of chosen) reports.push(await client.command('verify', { slot: s }));
      print(reports, () => reports.length === 0 ? 'No slot has files to verify.\n' : reports.map((r) => `${r.slot}: ${r.ok ? 'ok' : 'FAILED'}${r.files.filter((f) => !f.ok).map((f) => `\n  ${f.path}: ${f.reason ?? 'mismatch'}`).join('')}`).join('\n') + '\n');
      if (reports.some((r) => !r.ok)) throw new ModelbayError('EMB-E108', `Verification failed for ${reports.filter((r) => !r.ok).map((r) => r.slot).join(', ')}.`, {});
      return;
    }
    case 'rm': {
      const before = (await client.command('getSnapshot')).readiness?.slots.find((r) => r.slot === slot)?.presentBytes ?? null;
      const report = await client.command('clearSlot', { slot });
      print(report, () => `${rmOutcome(slot, before, report)} Ready: ${report.ready}/${report.total}.\n`);
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
        for (const h of snap.runtime.hosts) lines.push(`Session host ${h.device}: pid ${h.pid ?? '?'}, ${count(h.sessions, 'model')}`);
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
          return data.map((d, i) => `${JSON.stringify(p.texts[i])}: ${count(d.embedding.length, 'dim')} [${d.embedding.slice(0, 4).map((x) => x.toFixed(4)).join(', ')}, …]`).join('\n') + '\n';
        }
        const items = answer as unknown[][];
        return items.map((v, i) => `${JSON.stringify(p.texts[i])}: ${count(v.length, kind === 'sparse' ? 'term' : 'token vector')}`).join('\n') + '\n';
      });
      return;
    }
    case 'lock': return layoutLock(p, client, io);
    case 'export': return layoutExport(p, client, io);
    case 'serve': case 'token':
      throw new ModelbayError('EMB-E500', `${p.command} is run by the bin script.`, {});
  }
}

/** What `rm` did: files another slot uses are kept, and then the slot keeps them too. */
function rmOutcome(slot: SlotId, presentBefore: number | null, report: ReadinessReport): string {
  const mine = report.slots.find((r) => r.slot === slot);
  if (!mine || presentBefore === 0) return `${slot} had no files on disk: nothing was deleted.`;
  if (mine.presentBytes === 0) return `${slot}'s files were deleted.`;
  const kept = new Set(mine.files.filter((f) => f.present).map((f) => f.path));
  const sharers = report.slots
    .filter((r) => r.slot !== slot && r.repo === mine.repo && r.revision === mine.revision && r.files.some((f) => f.present && kept.has(f.path)))
    .map((r) => r.slot);
  const why = sharers.length > 0 ? `shared with ${sharers.join(', ')}` : 'still in use';
  const freed = presentBefore === null ? 0 : presentBefore - mine.presentBytes;
  if (freed > 0) return `Some of ${slot}'s files were deleted (${formatBytes(freed)}); the ones ${why} were kept. ${modelFilesSentence(slot, mine.status)}`;
  return `Nothing was deleted: ${slot}'s files are ${why}, so they were kept${mine.status === 'ready' ? ` and ${slot} stays ready.` : `. ${modelFilesSentence(slot, mine.status)}`}`;
}

async function pull(p: ParsedCommand, slots: SlotId[], client: ServerClient, io: Output): Promise<void> {
  const results = await withDownloadProgress(p, client, io, (d) => p.flags.all === true || slots.includes(d.slot), async () => p.flags.all
    ? (await client.command('downloadAll')).results
    : Promise.all(slots.map(async (slot) => {
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
    throw new ModelbayError(first?.code ?? 'EMB-E500', `${count(failed.length, 'slot')} could not be pulled: ${failed.map((f) => f.slot).join(', ')}.`, {});
  }
}
