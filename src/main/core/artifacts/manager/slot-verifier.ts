/**
 * Verify a slot by hand: re-hash every file and compare with the catalog's pin, else the
 * Hub's LFS sha256, else the git blob sha1; record the result, publish the state.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { VerifyReport } from '../../../../shared/contract/api.js';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import { COMMIT_RE, SHA256_RE } from '../../../../shared/values/values.js';
import { count } from '../../../../shared/values/counts.js';
import { hashBlob } from '../transfer/blob-hasher.js';
import { megabytes, type ManagerState } from './manager-state.js';

export class SlotVerifier {
  constructor(private readonly s: ManagerState) {}

  async verify(slot: SlotId): Promise<VerifyReport> {
    this.s.requireModel(slot);
    if (this.s.running(slot)) throw new ModelbayError('EMB-E007', `${slot} is downloading: verify it when the download is done.`, { slot });
    const before = await this.s.check(slot);
    this.s.lastStates.set(slot, 'verifying');
    this.s.emit({ type: 'state', slot, state: 'verifying', error: null });
    const files: VerifyReport['files'] = [];
    for (const f of before.files) {
      if (!f.present || !f.blobPath) {
        files.push({ path: f.file.path, ok: false, expected: f.file.sha256, actual: null, reason: 'missing from the cache' });
        continue;
      }
      let h;
      try {
        h = await hashBlob(f.blobPath);
      } catch (err) {
        // The file vanished or changed under us: say where the slot stands now.
        await this.s.check(slot);
        this.s.publishState(slot, true);
        throw err;
      }
      const etag = f.blobPath !== f.snapshotPath ? basename(f.blobPath) : '';
      let expected: string | null = null;
      let actual: string | null = h.sha256;
      let by = '';
      if (f.file.sha256) {
        expected = f.file.sha256;
        by = 'the catalog';
      } else if (SHA256_RE.test(etag)) {
        expected = etag;
        by = 'the Hub (LFS sha256)';
      } else if (COMMIT_RE.test(etag)) {
        expected = etag;
        actual = h.gitSha1;
        by = 'the Hub (git blob sha1)';
      }
      const sizeOk = f.file.size === null || f.file.size === h.size;
      const ok = sizeOk && (expected === null || expected === actual);
      const reason = !sizeOk
        ? `size ${h.size} B, expected ${f.file.size} B`
        : expected === null
          ? 'no reference checksum known: hashed only'
          : ok ? null : `checksum differs from ${by}`;
      files.push({ path: f.file.path, ok, expected, actual, reason });
      const st = await stat(f.blobPath);
      this.s.records.set(f.blobPath, { size: st.size, mtimeMs: st.mtimeMs, sha256: h.sha256, ok, verifiedAt: this.s.now() });
    }
    await this.s.records.flush();
    this.s.failures.delete(slot);
    const after = await this.s.check(slot);
    const bad = files.filter((f) => !f.ok && f.actual !== null);
    const ok = files.every((f) => f.ok);
    if (bad.length > 0) {
      const error = new ModelbayError('EMB-E108', `${slot}: ${bad.map((f) => f.path).join(', ')} failed verification (${bad[0]?.reason ?? 'checksum mismatch'}); download the slot again to replace ${bad.length === 1 ? 'it' : 'them'}.`, { slot, files: bad.map((f) => f.path) });
      this.s.lastStates.set(slot, 'failed');
      this.s.emit({ type: 'state', slot, state: 'failed', error: error.toJSON() });
      this.s.activity('verify', slot, `${slot} failed verification: ${bad.map((f) => f.path).join(', ')}`, 'EMB-E108');
    } else {
      this.s.publishState(slot, true);
      const bytes = after.files.reduce((s, f) => s + (f.size ?? 0), 0);
      this.s.activity('verify', slot, ok ? `${slot} verified (${count(files.length, 'file')}, ${megabytes(bytes)})` : `${slot} verification incomplete: ${files.filter((f) => !f.ok).map((f) => f.path).join(', ')} missing`);
    }
    this.s.emitReadiness();
    return { slot, ok, files };
  }
}
