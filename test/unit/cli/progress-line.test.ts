import { describe, expect, it } from 'vitest';
import { ProgressLine } from '../../../src/cli/progress-line.js';
import type { SlotDownloadProgress } from '../../../src/shared/artifacts/artifacts.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('the CLI progress line', () => {
  it('names an update download with its commits, short', () => {
    const out: string[] = [];
    const line = new ProgressLine((t) => out.push(t), () => 1000);
    const p: SlotDownloadProgress = { slot: 'E1', phase: 'downloading', bytes: 50, total: 100, speedBps: 10, etaSeconds: 5, files: [], error: null, retry: null, revision: { kind: 'update', from: A, to: B } };
    line.show([p, { ...p, slot: 'E2', revision: undefined }]);
    expect(out.join('')).toContain('E1 update aaaaaaaa → bbbbbbbb downloading, E2 downloading');
  });
});
