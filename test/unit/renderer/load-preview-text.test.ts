import { describe, expect, it } from 'vitest';
import { previewLines } from '../../../src/renderer/src/display/load-preview-text.js';
import type { LoadPreview } from '../../../src/shared/slots/load-preview.js';

const MiB = 1024 * 1024;
const base: LoadPreview = { slot: 'E2', device: 'cuda:0', estimateBytes: 120 * MiB, alreadyLoaded: false, evicts: [], freedBytes: 0, after: { allocatedBytes: 512 * MiB, budgetBytes: 8192 * MiB, ratio: 0.0625, level: 'Low' }, error: null };

describe('previewLines', () => {
  it('says what is evicted, in order, and the pressure after', () => {
    const lines = previewLines({ ...base, evicts: [{ slot: 'E8', bytes: 214 * MiB }, { slot: 'E12', bytes: 430 * MiB }], after: { allocatedBytes: 7782 * MiB, budgetBytes: 8192 * MiB, ratio: 0.95, level: 'Critical' } });
    expect(lines.head).toBe('Load E2 on cuda:0: reserves ~120 MiB');
    expect(lines.evicts).toBe('Evicts E8 (214 MiB), E12 (430 MiB) — least recently used first; pinned slots are kept.');
    expect(lines.outcome).toBe('cuda:0 after: 7.60 GiB of 8.00 GiB (95 %) · Critical');
    expect(lines.tone).toBe('warn');
  });

  it('a load that fits, one that is refused, one already loaded', () => {
    expect(previewLines(base)).toMatchObject({ evicts: 'Fits without evicting anything.', tone: 'ok' });
    const refused = previewLines({ ...base, after: null, error: { code: 'EMB-E003', message: 'E2 needs 9 GiB', details: {} } });
    expect(refused.outcome).toBe('Would fail: EMB-E003 E2 needs 9 GiB');
    expect(refused.tone).toBe('danger');
    expect(previewLines({ ...base, alreadyLoaded: true }).head).toBe('E2 is loaded on cuda:0');
  });
});
