/**
 * The layout commands of the scripted dashboard API (lock, restore preview, restore,
 * status). Like the other parts it is a page function: it runs in the browser from its
 * source text, so it uses nothing outside itself.
 */
import type { CatalogSlotView } from '../../shared/artifacts/artifacts.js';
import type { SlotId } from '../../shared/slots/slots.js';
import type { DeviceBudgetSnapshot, SlotSnapshot } from '../../shared/slots/state.js';

/** What the layout commands read of the scripted state. */
export interface LayoutView {
  slots: Map<SlotId, SlotSnapshot>;
  catalog: CatalogSlotView[];
  devices: DeviceBudgetSnapshot[];
}

export interface ScriptedLayouts {
  /** The answer to a layout command, or null for any other command. */
  handle(command: string, input: unknown, view: LayoutView): { value: unknown } | null;
  /** Make the layout differ from the last lockfile (the badge's lines). */
  setDifferences(lines: string[]): void;
}

export function scriptedLayouts(): ScriptedLayouts {
  /** The last lockfile written or restored, and the drift lines a test sets through __scripted. */
  const layoutState: { last: { createdAt: string; recordedAt: number; how: 'written' | 'restored'; slots: SlotId[] } | null; differences: string[] } = { last: null, differences: [] };
  const answer = (command: string, input: unknown, { slots, catalog, devices }: LayoutView): unknown => {
    switch (command) {
      case 'layoutStatus':
        return layoutState.last
          ? { last: layoutState.last, differs: layoutState.differences.length > 0, differences: layoutState.differences }
          : { last: null, differs: false, differences: [] };
      case 'lockLayout': {
        const locked = catalog.filter((c) => c.repo && c.revision && (slots.get(c.slot)?.state === 'ready' || slots.get(c.slot)?.state === 'loaded'));
        const lock = {
          lockfileVersion: 1, createdAt: new Date().toISOString(), modelbay: 'scripted',
          slots: locked.map((c) => ({
            slot: c.slot, repo: c.repo, revision: '8b3219a92973f4c1d0e5a6b7c8d9e0f1a2b3c4d5',
            files: c.files.map((f) => ({ path: f.path, role: f.role, sha256: 'ab'.repeat(32), size: f.size ?? 1 })),
            variant: c.variant, pooling: c.pooling, dims: c.dims, device: slots.get(c.slot)?.device ?? 'cpu', alias: null,
            pinned: slots.get(c.slot)?.pinned ?? false, preload: slots.get(c.slot)?.preload ?? false,
          })),
        };
        layoutState.last = { createdAt: lock.createdAt, recordedAt: Date.now(), how: 'written', slots: lock.slots.map((x) => x.slot) };
        layoutState.differences = [];
        return { lock, skipped: [] };
      }
      case 'previewRestore': {
        const lock = (input as { lock: { slots: Array<{ slot: SlotId; repo: string; revision: string; device: string; pinned: boolean; files: Array<{ size: number }> }> } }).lock;
        const previewSlots = lock.slots.map((l) => ({
          slot: l.slot,
          changes: [
            { field: 'model', from: `${catalog.find((c) => c.slot === l.slot)?.repo ?? '—'}@main`, to: `${l.repo}@${l.revision.slice(0, 12)}` },
            ...(l.pinned !== (slots.get(l.slot)?.pinned ?? false) ? [{ field: 'pinned', from: !l.pinned, to: l.pinned }] : []),
          ],
          downloadBytes: l.files.reduce((n, f) => n + f.size, 0),
          deviceFallback: devices.some((d) => d.device === l.device) ? null : { wanted: l.device, used: 'cpu' },
          blocked: null,
        }));
        return { slots: previewSlots, downloadBytes: previewSlots.reduce((n, x) => n + x.downloadBytes, 0), untouched: [...slots.keys()].filter((id) => !lock.slots.some((l) => l.slot === id)) };
      }
      case 'restoreLock': {
        const lock = (input as { lock: { createdAt: string; slots: Array<{ slot: SlotId; device: string }> } }).lock;
        layoutState.last = { createdAt: lock.createdAt, recordedAt: Date.now(), how: 'restored', slots: lock.slots.map((x) => x.slot) };
        layoutState.differences = [];
        return {
          ok: true,
          slots: lock.slots.map((l) => {
            const used = devices.some((d) => d.device === l.device) ? l.device : 'cpu';
            return { slot: l.slot, ok: true, error: null, device: { wanted: l.device, used, fellBack: used !== l.device }, verify: null };
          }),
        };
      }
      default:
        return undefined;
    }
  };
  return {
    handle: (command, input, view) => {
      const value = answer(command, input, view);
      return value === undefined ? null : { value };
    },
    setDifferences: (lines) => {
      layoutState.differences = lines;
    },
  };
}
