// Build Modelbay when a checkout's sources are newer than its build (`npm start`, `modelbay
// serve`, `modelbay demo`). An installed package holds the build and no sources: it runs as it is.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// electron-vite's `exports` hide its bin file from require.resolve: find the package
// from its main entry and read the bin path from its package.json. null when it is not
// installed (an installed package, or a checkout installed with --omit=dev).
function electronViteBin() {
  let dir;
  try {
    dir = dirname(require.resolve('electron-vite'));
  } catch {
    return null;
  }
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['electron-vite'];
  return join(dir, bin);
}

/** Builds when `outFile` (an entry of the build) is missing or older than the sources; exits the process when it cannot. */
export function buildIfStale(outFile) {
  const srcDir = join(root, 'src');
  const built = existsSync(outFile);
  if (!existsSync(srcDir)) {
    if (built) return;
    process.stderr.write(`Modelbay is incomplete: ${outFile} is missing. Reinstall the package.\n`);
    process.exit(1);
  }
  if (built && newestMtime(srcDir) <= statSync(outFile).mtimeMs) return;
  const bin = electronViteBin();
  if (bin === null) {
    if (built) {
      process.stderr.write('The sources are newer than the build, but the build tools (dev dependencies) are not installed: running the existing build. `npm install` then `npm run build` updates it.\n');
      return;
    }
    process.stderr.write('Modelbay is not built and the build tools (dev dependencies) are not installed: run `npm install`, then `npm run build` (or `npm start`).\n');
    process.exit(1);
  }
  process.stdout.write('Building Modelbay…\n');
  const res = spawnSync(process.execPath, [bin, 'build'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
