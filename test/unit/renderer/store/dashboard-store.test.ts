import { describe, expect, it } from 'vitest';
import type { AppEvent, ModelbayApi } from '../../../../src/shared/contract/api.js';
import { ModelbayError } from '../../../../src/shared/errors/errors.js';
import { connectStore, createDashboardStore, runCommand, runCommands } from '../../../../src/renderer/src/store/dashboard-store.js';
import { SLOT_CONFIG_KEY, commandFinished, commandStarted, dismissError, initialUiState, openSlotConfig, toggleGpu } from '../../../../src/renderer/src/store/ui-state.js';
import { appSnapshot, slotSnapshot } from '../snapshot-fixture.js';

/** An api whose `load` is settled by the test and whose `subscribe` hands the listener out. */
function controlledApi() {
  let settle: { resolve: (v: unknown) => void; reject: (e: unknown) => void } | null = null;
  let listener: ((e: AppEvent) => void) | null = null;
  const api = {
    load: () => new Promise((resolve, reject) => (settle = { resolve, reject })),
    evict: () => Promise.reject(new TypeError('fetch failed')),
    subscribe: (l: (e: AppEvent) => void) => {
      listener = l;
      return () => (listener = null);
    },
  } as unknown as ModelbayApi;
  return { api, settle: () => settle, emit: (e: AppEvent) => listener?.(e) };
}

describe('dashboard store', () => {
  it('feeds subscribed events through applyEvent', () => {
    const store = createDashboardStore();
    const c = controlledApi();
    const stop = connectStore(store, c.api);
    c.emit({ type: 'snapshot', snapshot: appSnapshot() });
    c.emit({ type: 'slot', slot: slotSnapshot('E4', { state: 'ready' }) });
    expect(store.getState().model.slots.E4?.state).toBe('ready');
    stop();
    c.emit({ type: 'slot', slot: slotSnapshot('E4', { state: 'loaded' }) });
    expect(store.getState().model.slots.E4?.state).toBe('ready');
  });

  it('marks a command pending, then clears it on success', async () => {
    const store = createDashboardStore();
    const c = controlledApi();
    const done = runCommand(store, c.api, 'E2', 'load', { slot: 'E2' });
    expect(store.getState().ui.pending.E2).toBe('load');
    c.settle()?.resolve(slotSnapshot('E2', { state: 'loaded' }));
    expect((await done)?.state).toBe('loaded');
    expect(store.getState().ui.pending.E2).toBeUndefined();
    expect(store.getState().ui.errors.E2).toBeUndefined();
  });

  it('files a rejected command’s error under its slot and never rejects', async () => {
    const store = createDashboardStore();
    const c = controlledApi();
    const done = runCommand(store, c.api, 'E13', 'load', { slot: 'E13' });
    c.settle()?.reject(new ModelbayError('EMB-E102', 'naver/splade-v3 is gated', { repo: 'naver/splade-v3' }));
    await expect(done).resolves.toBeNull();
    expect(store.getState().ui.errors.E13).toEqual({ command: 'load', error: { code: 'EMB-E102', message: 'naver/splade-v3 is gated', details: { repo: 'naver/splade-v3' } } });
    expect(store.getState().ui.pending.E13).toBeUndefined();
  });

  it('files per-slot failures of downloadAll on their cards', async () => {
    const store = createDashboardStore();
    const api = {
      downloadAll: () =>
        Promise.resolve({ results: [{ slot: 'E1', ok: true }, { slot: 'E13', ok: false, error: { code: 'EMB-E102', message: 'gated', details: {} } },
          { slot: 'E5', ok: false, error: { code: 'EMB-E118', message: 'no model', details: { skipped: 'no-model' } } }] }),
    } as unknown as ModelbayApi;
    await runCommand(store, api, 'app', 'downloadAll', {});
    expect(store.getState().ui.errors.E13?.error.code).toBe('EMB-E102');
    // Skipped, not failed: the card already says it has no model.
    expect(store.getState().ui.errors.E5).toBeUndefined();
    expect(store.getState().ui.errors.E1).toBeUndefined();
    expect(store.getState().ui.errors.app).toBeUndefined();
  });

  it('runCommands sends in order and stops at the first failure, filed under the one key', async () => {
    const store = createDashboardStore();
    const sent: string[] = [];
    const api = {
      setSlotSource: (input: unknown) => (sent.push('setSlotSource'), Promise.resolve(input)),
      setIdleTtl: () => (sent.push('setIdleTtl'), Promise.reject(new ModelbayError('EMB-E401', 'Invalid input for setIdleTtl.', { issues: [] }))),
      setDevice: (input: unknown) => (sent.push('setDevice'), Promise.resolve(input)),
    } as unknown as ModelbayApi;
    const done = await runCommands(store, api, SLOT_CONFIG_KEY, [
      { command: 'setSlotSource', input: { slot: 'E2', source: null } },
      { command: 'setIdleTtl', input: { slot: 'E2', ttlMs: 60_000 } },
      { command: 'setDevice', input: { slot: 'E2', device: 'cpu' } },
    ]);
    expect(done).toBe(1);
    expect(sent).toEqual(['setSlotSource', 'setIdleTtl']);
    expect(store.getState().ui.errors[SLOT_CONFIG_KEY]).toMatchObject({ command: 'setIdleTtl', error: { code: 'EMB-E401' } });
    expect(store.getState().ui.pending[SLOT_CONFIG_KEY]).toBeUndefined();
    // Opening the dialog for another slot starts without the old error.
    expect(openSlotConfig(store.getState().ui, 'E3')).toMatchObject({ configSlot: 'E3', errors: {} });
  });

  it('turns transport failures into EMB-E500 with the message', async () => {
    const store = createDashboardStore();
    await runCommand(store, controlledApi().api, 'E1', 'evict', { slot: 'E1', force: true });
    expect(store.getState().ui.errors.E1?.error).toMatchObject({ code: 'EMB-E500', message: 'fetch failed' });
  });
});

describe('ui state', () => {
  it('a new command clears the previous error; dismiss clears it too', () => {
    let ui = commandFinished(commandStarted(initialUiState(), 'E1', 'load'), 'E1', 'load', { code: 'EMB-E003', message: 'no room', details: {} });
    expect(ui.errors.E1?.error.code).toBe('EMB-E003');
    expect(commandStarted(ui, 'E1', 'verify').errors.E1).toBeUndefined();
    ui = dismissError(ui, 'E1');
    expect(ui.errors.E1).toBeUndefined();
    expect(dismissError(ui, 'E1')).toBe(ui);
  });

  it('toggles a GPU card open and closed', () => {
    const open = toggleGpu(initialUiState(), 1);
    expect(open.expandedGpus).toEqual([1]);
    expect(toggleGpu(open, 1).expandedGpus).toEqual([]);
  });
});
