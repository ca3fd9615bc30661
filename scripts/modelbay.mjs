#!/usr/bin/env node
// The `modelbay` command. `serve` runs the headless server (building first when the
// sources are newer, as `npm start` does); every other command is a client of a running
// server, written in TypeScript (src/cli) and run from source through tsx, so `npm link`
// works without a build step.
import { register } from 'tsx/esm/api';

const args = process.argv.slice(2);

async function startServe(rest) {
  // scripts/start.mjs reads its flags from process.argv when it loads.
  process.argv = [process.argv[0], process.argv[1], '--headless', ...rest];
  await import('./start.mjs');
}

register();
const { cli } = await import('../src/cli/main.ts');
const io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
};
const code = await cli(args, process.env, io, startServe);
if (args[0] !== 'serve') process.exitCode = code;
