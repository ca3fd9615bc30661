import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../../src/shared/errors/errors.js';
import { toSerializedError } from '../../../src/renderer/src/store/command-error.js';
import { activityText } from '../../../src/renderer/src/display/activity-text.js';
import { ERROR_HELP } from '../../../src/renderer/src/display/error-help.js';
import { duration, fileSize, mib, missingText, relativeTime, speed, unknownSizesTip, unknownSlotsTip } from '../../../src/renderer/src/display/figures.js';
import { diagnosticsText } from '../../../src/renderer/src/display/diagnostics.js';

describe('counts in words', () => {
  it('one of a thing is singular, any other number plural', () => {
    expect(missingText(0, 1, 13)).toBe('1 of 13 slots has an unknown size');
    expect(missingText(0, 1, 1)).toBe('1 of 1 slot has an unknown size');
    expect(unknownSlotsTip(1)).toMatch(/^1 slot has missing files/);
    expect(unknownSizesTip(2)).toMatch(/^2 missing files have no known size until they are/);
    const diagnostics = (logLines: string[]): string => diagnosticsText({ runtime: null, gpu: null, devices: [], settings: null, logFile: null, logLines, userAgent: 'test' });
    expect(diagnostics(['one line'])).toContain('## Last 1 log line\n');
    expect(diagnostics(['a', 'b'])).toContain('## Last 2 log lines\n');
  });
});

describe('figures', () => {
  it('shows unknown as a dash, never 0', () => {
    expect(mib(null)).toBe('—');
    expect(fileSize(undefined)).toBe('—');
    expect(speed(0)).toBe('—');
    expect(duration(null)).toBe('—');
  });

  it('formats sizes, durations and relative times', () => {
    expect(fileSize(7.9e9)).toBe('7.9 GB');
    expect(fileSize(532_000_000)).toBe('532 MB');
    expect(mib(16376 * 1024 * 1024)).toBe('16,376 MiB');
    expect(duration(125)).toBe('2 min 05 s');
    // A fast load reads as what it took, not "0 s".
    expect(duration(0.071)).toBe('71 ms');
    expect(duration(3)).toBe('3 s');
    expect(relativeTime(null, 0)).toBe('never');
    expect(relativeTime(0, 5 * 60_000)).toBe('5 min ago');
  });
});

describe('errors', () => {
  it('every error code has a plain explanation', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) expect(ERROR_HELP[code].length).toBeGreaterThan(20);
    expect(ERROR_HELP['EMB-E102']).toMatch(/token in Settings/);
  });

  it('keeps a serialised error from any transport, else wraps it', () => {
    expect(toSerializedError({ code: 'EMB-E003', message: 'no room', details: { requested: 5 } })).toEqual({ code: 'EMB-E003', message: 'no room', details: { requested: 5 } });
    expect(toSerializedError({ code: 'NOPE', message: 'x' }).code).toBe('EMB-E500');
    expect(toSerializedError('boom')).toMatchObject({ code: 'EMB-E500', message: 'boom' });
  });
});

describe('event log text', () => {
  it('adds the eviction reason and budget level when the message lacks them, never twice', () => {
    expect(activityText({ at: 1, kind: 'evicted', slot: 'E8', message: 'E8 evicted', reason: 'lru', level: 'Critical', ratio: 0.961 })).toBe(
      'E8 evicted (LRU, budget Critical 96 %)',
    );
    expect(activityText({ at: 1, kind: 'evicted', slot: 'E8', message: 'E8 evicted: LRU, budget Critical 96 %', reason: 'lru', level: 'Critical', ratio: 0.96 })).toBe(
      'E8 evicted: LRU, budget Critical 96 %',
    );
    expect(activityText({ at: 1, kind: 'info', slot: null, message: 'hello' })).toBe('hello');
    expect(activityText({ at: 1, kind: 'pressure', slot: null, message: 'cuda:0 pressure Critical 96 %', level: 'Critical', ratio: 0.96 })).toBe(
      'cuda:0 pressure Critical 96 %',
    );
    expect(activityText({ at: 1, kind: 'evicted', slot: 'E12', message: 'E12 evicted: idle for 10 min', reason: 'idle' })).toBe('E12 evicted: idle for 10 min');
    // The registry's own wording for a manual evict ("by hand") counts as the reason.
    expect(activityText({ at: 1, kind: 'evicted', slot: 'E3', message: 'E3 evicted: by hand (freed 29.3 MiB; cpu now Medium 61 %).', reason: 'manual', level: 'Medium', ratio: 0.61 })).toBe(
      'E3 evicted: by hand (freed 29.3 MiB; cpu now Medium 61 %).',
    );
    expect(activityText({ at: 1, kind: 'evicted', slot: 'E2', message: 'E2 evicted: LRU', reason: 'lru', level: 'High', ratio: 0.9 })).toBe(
      'E2 evicted: LRU (budget High 90 %)',
    );
  });
});
