import { describe, expect, it } from 'vitest';
import { ARTIFACT_STATES, SLOT_STATES } from '../../../../src/shared/slots/state.js';
import { DOWNLOAD_PHASES } from '../../../../src/shared/artifacts/artifacts.js';
import { downloadSentence, modelFilesSentence, slotStateClause } from '../../../../src/shared/slots/state-words.js';

/** A state word pasted after "are", "was" or "is" where it does not fit. */
const BROKEN = /\b(are|is|was) (failed|no-model|partial|done|missing:|cancelled:)\b/;

describe('model files said in words', () => {
  it('says what is wrong with the files, never "are failed"', () => {
    expect(modelFilesSentence('E8', 'missing')).toBe("E8's model files are missing.");
    expect(modelFilesSentence('E8', 'failed', { code: 'EMB-E108' })).toBe("E8's model files failed verification.");
    expect(modelFilesSentence('E8', 'partial')).toBe("Some of E8's model files are missing.");
    expect(modelFilesSentence('E5', 'no-model')).toBe('E5 has no model.');
    expect(modelFilesSentence('E8', 'failed', { code: 'EMB-E123' })).toBe("E8's model files cannot be read or written.");
    expect(modelFilesSentence('E8', 'failed', { code: 'EMB-E107' })).toBe("E8's model files failed to download.");
    expect(modelFilesSentence('E8', 'failed')).toBe("E8's model files failed to download or verify.");
  });

  it('adds the reason as its own sentence', () => {
    expect(modelFilesSentence('E8', 'failed', { code: 'EMB-E108', reason: 'onnx/model.onnx failed its checksum when last verified: download it again.' }))
      .toBe("E8's model files failed verification. onnx/model.onnx failed its checksum when last verified: download it again.");
    expect(modelFilesSentence('E8', 'missing', { reason: 'Download them first' })).toBe("E8's model files are missing. Download them first.");
  });

  it('reads as English for every readiness status and artifact state', () => {
    for (const status of [...ARTIFACT_STATES, 'partial', 'no-model'] as const) {
      expect(modelFilesSentence('E8', status)).not.toMatch(BROKEN);
    }
  });
});

describe('downloads and slots said in words', () => {
  it('a stopped download was cancelled or paused, or failed', () => {
    expect(downloadSentence('E8', 'cancelled')).toBe("E8's download was cancelled.");
    expect(downloadSentence('E8', 'paused')).toBe("E8's download was paused.");
    expect(downloadSentence('E8', 'failed')).toBe("E8's download failed.");
    for (const phase of DOWNLOAD_PHASES) expect(downloadSentence('E8', phase)).not.toMatch(/\bwas (failed|done|queued)\b/);
  });

  it('a slot "has failed", never "is failed"', () => {
    expect(slotStateClause('E8', 'failed')).toBe('E8 has failed');
    expect(slotStateClause('E8', 'loading')).toBe('E8 is loading');
    for (const state of SLOT_STATES) expect(slotStateClause('E8', state)).not.toMatch(/\bis (failed|missing)\b/);
  });
});
