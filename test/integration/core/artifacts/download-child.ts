/**
 * A separate process downloading one file (for the SIGKILL test): prints one JSON line
 * per progress event so the parent knows how far it got before killing it.
 * argv: cacheDir endpoint repo path [parts]
 */
import { Downloader } from '../../../../src/main/core/artifacts/transfer/downloader.js';

const [cacheDir = '', endpoint = '', repo = '', path = '', parts = '0'] = process.argv.slice(2);
const d = new Downloader({
  cacheDir, endpoint, token: null,
  parallelParts: Number(parts) > 1 ? { minBytes: 1, parts: Number(parts) } : null,
});
d.download({ repo, revision: 'main', path }, { onProgress: (p) => process.stdout.write(`${JSON.stringify(p)}\n`) })
  .then((f) => process.stdout.write(`${JSON.stringify({ done: f.sha256 })}\n`))
  .catch((e: unknown) => {
    const code = (e as { code?: unknown }).code;
    process.stdout.write(`${JSON.stringify({ error: String(e), code, message: e instanceof Error ? e.message : null })}\n`);
    process.exitCode = 1;
  });
