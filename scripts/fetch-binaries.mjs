#!/usr/bin/env node
// Fetches the two binaries an offline-safe install leaves out (.npmrc has
// ignore-scripts=true): Electron's own binary and, on Linux x64, onnxruntime's CUDA
// provider. Where there is no network each step fails fast, says what it means, and the
// script still exits 0: Modelbay then runs headless and on the CPU.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const quiet = process.argv.includes('--quiet');
const log = (msg) => { if (!quiet) process.stdout.write(`${msg}\n`); };
const TIMEOUT_MS = Number(process.env.MODELBAY_FETCH_TIMEOUT_MS ?? 120_000);

function packageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

export function electronBinaryPresent() {
  const dir = packageDir('electron');
  if (!dir) return false;
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return false;
  return existsSync(join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()));
}

function run(what, script, env) {
  const res = spawnSync(process.execPath, [script], { env: { ...process.env, ...env }, timeout: TIMEOUT_MS, encoding: 'utf8' });
  if (res.status === 0) return { ok: true };
  const reason = res.error?.code === 'ETIMEDOUT' ? `timed out after ${TIMEOUT_MS / 1000} s`
    : (res.stderr || res.stdout || '').trim().split('\n').find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONN|getaddrinfo|fetch failed/i.test(l)) ?? `exit ${res.status}`;
  log(`  ${what}: not fetched (${reason.slice(0, 200)})`);
  return { ok: false };
}

export function fetchElectron() {
  if (process.env.MODELBAY_SKIP_FETCH === '1') return electronBinaryPresent();
  if (electronBinaryPresent()) return true;
  const dir = packageDir('electron');
  if (!dir) {
    log('Electron is not installed (npm ci installs it).');
    return false;
  }
  log('Fetching the Electron binary…');
  const { ok } = run('Electron', join(dir, 'install.js'), {});
  return ok && electronBinaryPresent();
}

export function cudaProviderPresent() {
  const dir = packageDir('onnxruntime-node');
  return !!dir && existsSync(join(dir, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));
}

export function fetchCudaProvider() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false; // CUDA builds exist for Linux x64 only
  if (process.env.MODELBAY_SKIP_FETCH === '1' || cudaProviderPresent()) return cudaProviderPresent();
  const dir = packageDir('onnxruntime-node');
  if (!dir) return false;
  log('Fetching the onnxruntime CUDA provider…');
  const { ok } = run('onnxruntime CUDA provider', join(dir, 'script', 'install.js'), { ONNXRUNTIME_NODE_INSTALL: 'cuda12' });
  return ok && cudaProviderPresent();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const electron = fetchElectron();
  const cuda = fetchCudaProvider();
  log(`Electron binary: ${electron ? 'present' : 'missing — `npm start` will run headless'}`);
  log(`CUDA provider:   ${cuda ? 'present' : 'missing — models run on the CPU'}`);
}
