#!/usr/bin/env node
// The `modelbay` command. `serve` runs the headless server (scripts/start.mjs: in a
// checkout it builds first when the sources are newer), `demo` the same server with a
// local test Hub (out/main/demo.js, built first the same way); every other command is the CLI
// in src/cli. An installed package runs the build (out/main/cli.js) and needs nothing
// else; a checkout with its dev dependencies runs the TypeScript sources through tsx, so
// `npm link` works without a build step.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);

async function startServe(rest) {
  // scripts/start.mjs reads its flags from process.argv when it loads.
  process.argv = [process.argv[0], process.argv[1], '--headless', ...rest];
  await import('./start.mjs');
}

async function startDemo(rest) {
  const { buildIfStale } = await import('./build-if-stale.mjs');
  const entry = join(root, 'out/main/demo.js');
  buildIfStale(entry);
  // In this process, as serve: the demo reads its flags from process.argv when it loads.
  process.argv = [process.argv[0], entry, ...rest];
  await import(pathToFileURL(entry).href);
}

/** The CLI module: the sources through tsx in a checkout that has it, else the build. */
async function loadCli() {
  const source = join(root, 'src/cli/main.ts');
  if (existsSync(source)) {
    try {
      const { register } = await import('tsx/esm/api');
      register();
      return await import(pathToFileURL(source).href);
    } catch (e) {
      if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
      // Installed with --omit=dev: no tsx; the build below serves.
    }
  }
  const built = join(root, 'out/main/cli.js');
  if (existsSync(built)) return import(pathToFileURL(built).href);
  process.stderr.write('modelbay: Modelbay is not built here (out/main/cli.js is missing): run `npm install` and `npm run build` in its folder.\n');
  process.exit(1);
}

const [command, ...rest] = args;
if (command === 'serve') {
  await startServe(rest);
} else if (command === 'demo') {
  await startDemo(rest);
} else {
  const { cli } = await loadCli();
  const io = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stderr.isTTY),
  };
  process.exitCode = await cli(args, process.env, io, { serve: startServe, demo: startDemo });
}
