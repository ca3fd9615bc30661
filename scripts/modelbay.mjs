#!/usr/bin/env node
// The `modelbay` command. `modelbay serve [--port N] [--host ADDR] [--data-dir DIR]` runs
// the headless server (building first when the sources are newer, as `npm start` does).
const [command, ...rest] = process.argv.slice(2);

if (command === 'serve') {
  // scripts/start.mjs reads its flags from process.argv when it loads.
  process.argv = [process.argv[0], process.argv[1], '--headless', ...rest];
  await import('./start.mjs');
} else if (command === 'token') {
  // The headless entry owns the data-folder rule: ask it (from the sources in a checkout, else the build).
  const { spawnSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { createRequire } = await import('node:module');
  const { join } = await import('node:path');
  const root = join(import.meta.dirname, '..');
  let tsx = false;
  try {
    createRequire(import.meta.url).resolve('tsx');
    tsx = existsSync(join(root, 'src/main/headless.ts'));
  } catch {
    // An installed build has no tsx.
  }
  const entry = tsx ? ['--import', 'tsx', join(root, 'src/main/headless.ts')] : [join(root, 'out/main/headless.js')];
  const res = spawnSync(process.execPath, [...entry, '--print-token', ...rest], { stdio: 'inherit' });
  process.exit(res.status ?? 1);
} else {
  const known = command === undefined || command === 'help' || command === '--help' || command === '-h';
  (known ? process.stdout : process.stderr).write(
    (known ? '' : `Unknown command: ${command}\n\n`) +
    'Usage: modelbay serve [--port N] [--host ADDR] [--data-dir DIR]\n' +
    '       modelbay token [--data-dir DIR]\n\n' +
    '  serve   run Modelbay without a window and serve the dashboard to a browser\n' +
    '          (prints http://127.0.0.1:7878/?token=…; reach it over an SSH tunnel on a server)\n' +
    '  token   print the server\'s token, for scripts: -H "Authorization: Bearer $(modelbay token)"\n',
  );
  process.exit(known ? 0 : 2);
}
