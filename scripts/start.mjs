#!/usr/bin/env node
// `npm start`: build if needed, fetch the binaries an offline install leaves out, then
// open the Electron app — or, when Electron's binary is missing (or --headless is
// given), run the headless server whose dashboard opens in a browser.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { buildIfStale } from './build-if-stale.mjs';
import { electronBinaryPresent, fetchElectron, fetchCudaProvider } from './fetch-binaries.mjs';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const forceHeadless = args.includes('--headless') || process.env.MODELBAY_HEADLESS === '1';
const passThrough = args.filter((a) => a !== '--headless');

function runChild(command, argv, env = process.env) {
  const child = spawn(command, argv, { cwd: root, stdio: 'inherit', env });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

buildIfStale(join(root, 'out', 'main', 'headless.js'));
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
  // above already when the desktop app was wanted. It runs in this process: a child would get
  // a terminal's Ctrl+C twice (once from the terminal, once forwarded), and a second signal
  // means "stop now, without waiting".
  process.env[forceHeadless ? 'MODELBAY_FETCH_CUDA' : 'MODELBAY_SKIP_FETCH'] = '1';
  const entry = join(root, 'out', 'main', 'headless.js');
  process.argv = [process.argv[0], entry, ...passThrough];
  await import(pathToFileURL(entry).href);
}
