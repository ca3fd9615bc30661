/** The "Copy diagnostics" text for a bug report: what runs where, the settings, the log's end. Never a token. */
import type { RuntimeInfo } from '../../../shared/contract/api.js';
import type { GpuSample } from '../../../shared/devices/gpu.js';
import type { SettingsView } from '../../../shared/settings/settings.js';
import type { DeviceBudgetSnapshot } from '../../../shared/slots/state.js';
import { memory } from './figures.js';
import { count } from '../../../shared/values/counts.js';

export interface DiagnosticsInput {
  runtime: RuntimeInfo | null;
  gpu: GpuSample | null;
  devices: readonly DeviceBudgetSnapshot[];
  settings: SettingsView | null;
  logFile: string | null;
  logLines: readonly string[];
  userAgent: string;
}

export function diagnosticsText(d: DiagnosticsInput): string {
  const out: string[] = ['# Modelbay diagnostics', ''];
  const rt = d.runtime;
  out.push(`version: ${rt?.version ?? 'unknown'} (${rt?.mode ?? 'unknown'})`, `platform: ${rt?.platform ?? 'unknown'}`, `CUDA provider: ${rt ? (rt.cudaProvider ? 'yes' : 'no') : 'unknown'}`);
  out.push(`dashboard: ${d.userAgent}`);
  if (d.gpu?.available) {
    for (const g of d.gpu.gpus) out.push(`GPU ${g.index}: ${g.name}, ${memory(g.memoryUsedBytes)} of ${memory(g.memoryTotalBytes)} used`);
  } else {
    out.push(`GPU: none (${d.gpu?.reason ?? 'no sample yet'})`);
  }
  for (const dev of d.devices) out.push(`budget ${dev.device}: ${memory(dev.allocatedBytes)} of ${memory(dev.budgetBytes)} (${dev.level})`);
  if (d.settings) {
    // SettingsView never carries the token itself, only whether one is set and from where.
    out.push('', '## Settings', JSON.stringify({ ...d.settings.settings, token: d.settings.token, cacheDir: d.settings.cacheDir, endpoint: d.settings.endpoint, offline: d.settings.offline }, null, 2));
  }
  out.push('', `## Last ${count(d.logLines.length, 'log line')}${d.logFile ? ` (${d.logFile})` : ''}`, ...d.logLines);
  return out.join('\n');
}
