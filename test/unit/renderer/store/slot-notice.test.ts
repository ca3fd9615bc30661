import { describe, expect, it } from 'vitest';
import { slotNotice } from '../../../../src/renderer/src/store/slot-notice.js';
import type { SerializedError } from '../../../../src/shared/errors/errors.js';
import { downloadProgress, slotSnapshot } from '../snapshot-fixture.js';

const oldFailure: SerializedError = { code: 'EMB-E108', message: 'checksum mismatch', details: {} };
const bulkFailure: SerializedError = { code: 'EMB-E107', message: 'Hub unreachable', details: {} };

describe('slotNotice', () => {
  it('a slot downloading again shows its download, not its old failure', () => {
    const slot = slotSnapshot('E12', { state: 'downloading', error: oldFailure });
    const download = downloadProgress('E12', { phase: 'downloading' });
    expect(slotNotice(slot, bulkFailure, download)).toEqual({ kind: 'download', download });
  });

  it('a loading slot shows no stale error', () => {
    expect(slotNotice(slotSnapshot('E2', { state: 'loading', error: oldFailure }), undefined, undefined)).toBeNull();
  });

  it('an idle slot shows the command error first, then its own', () => {
    const slot = slotSnapshot('E12', { state: 'failed', error: oldFailure });
    expect(slotNotice(slot, bulkFailure, undefined)).toEqual({ kind: 'error', error: bulkFailure, fromCommand: true });
    expect(slotNotice(slot, undefined, undefined)).toEqual({ kind: 'error', error: oldFailure, fromCommand: false });
    expect(slotNotice(slotSnapshot('E2', { state: 'ready', error: null }), undefined, undefined)).toBeNull();
  });

  it('a paused download stays on the card', () => {
    const download = downloadProgress('E6', { phase: 'paused' });
    expect(slotNotice(slotSnapshot('E6', { state: 'missing' }), undefined, download)).toEqual({ kind: 'download', download });
  });
});
