#!/usr/bin/env node
// `npm start`: build if needed, fetch the binaries an offline install leaves out, then
// open the Electron app — or, when Electron's binary is missing (or --headless is
// given), run the headless server whose dashboard opens in a browser.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { electronBinaryPresent, fetchElectron, fetchCudaProvider } from './fetch-binaries.mjs';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const forceHeadless = args.includes('--headless') || process.env.MODELBAY_HEADLESS === '1';
const passThrough = args.filter((a) => a !== '--headless');

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

// An installed package holds the build and no sources: it runs as it is. A checkout
// rebuilds when its sources are newer than the build, if it can.
function buildIfStale() {
  const outFile = join(root, 'out', 'main', 'headless.js');
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

function runChild(command, argv, env = process.env) {
  const child = spawn(command, argv, { cwd: root, stdio: 'inherit', env });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

buildIfStale();
// The headless entry fetches the CUDA provider itself once its flags are checked: `serve
// --help` or a typo must not reach for the network first.
if (!forceHeadless) {
  fetchElectron();
  fetchCudaProvider();
}

if (!forceHeadless && electronBinaryPresent() && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY || process.platform !== 'linux')) {
  runChild(require('electron'), [root, ...passThrough]);
} else {
  if (!forceHeadless) {
    const why = electronBinaryPresent() ? 'no display was found' : 'the Electron binary is not installed (it could not be downloaded)';
    process.stdout.write(`\nModelbay is starting in headless mode because ${why}.\n` +
      'The dashboard is served to your browser instead; run `npm run fetch-binaries` where a network exists to get the desktop app.\n\n');
  }
  // `serve`: the headless entry fetches the CUDA provider once its flags are checked; tried
  // above already when the desktop app was wanted.
  runChild(process.execPath, [join(root, 'out', 'main', 'headless.js'), ...passThrough], forceHeadless ? { ...process.env, MODELBAY_FETCH_CUDA: '1' } : { ...process.env, MODELBAY_SKIP_FETCH: '1' });
}
