#!/usr/bin/env node
// The `modelbay` command. `serve` runs the headless server (building first when the
// sources are newer, as `npm start` does), `token` prints its token; every other command
// is a client of a running server, written in TypeScript (src/cli) and run from source
// through tsx, so `npm link` works without a build step.
const args = process.argv.slice(2);

async function startServe(rest) {
  // scripts/start.mjs reads its flags from process.argv when it loads.
  process.argv = [process.argv[0], process.argv[1], '--headless', ...rest];
  await import('./start.mjs');
}

/** `token`: the headless entry owns the data-folder rule, so it prints the token (from the sources in a checkout, else the build). */
async function printToken(rest) {
  const { spawnSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { createRequire } = await import('node:module');
  const { join } = await import('node:path');
  const root = join(import.meta.dirname, '..');
  let tsx = false;
  try {
    createRequire(import.meta.url).resolve('tsx');
    tsx = existsSync(join(root, 'src/main/headless/main.ts'));
  } catch {
    // An installed build has no tsx.
  }
  const entry = tsx ? ['--import', 'tsx', join(root, 'src/main/headless/main.ts')] : [join(root, 'out/main/headless.js')];
  const res = spawnSync(process.execPath, [...entry, '--print-token', ...rest], { stdio: 'inherit' });
  return res.status ?? 1;
}

const [command, ...rest] = args;
if (command === 'serve') {
  await startServe(rest);
} else if (command === 'token') {
  process.exit(await printToken(rest));
} else {
  // The client commands run from the TypeScript sources (no build step for `npm link`).
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('modelbay: this command runs from the sources and needs the dev dependencies: run `npm install` in the Modelbay folder.\n');
    process.exit(1);
  }
  register();
  const { cli } = await import('../src/cli/main.ts');
  const io = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stderr.isTTY),
  };
  process.exitCode = await cli(args, process.env, io, { serve: startServe, token: printToken });
}
