#!/usr/bin/env node
// The `modelbay` command. `modelbay serve [--port N] [--host ADDR] [--data-dir DIR]` runs
// the headless server (building first when the sources are newer, as `npm start` does).
const [command, ...rest] = process.argv.slice(2);

if (command === 'serve') {
  // scripts/start.mjs reads its flags from process.argv when it loads.
  process.argv = [process.argv[0], process.argv[1], '--headless', ...rest];
  await import('./start.mjs');
} else {
  const known = command === undefined || command === 'help' || command === '--help' || command === '-h';
  (known ? process.stdout : process.stderr).write(
    (known ? '' : `Unknown command: ${command}\n\n`) +
    'Usage: modelbay serve [--port N] [--host ADDR] [--data-dir DIR]\n\n' +
    '  serve   run Modelbay without a window and serve the dashboard to a browser\n' +
    '          (prints http://127.0.0.1:7878/?token=…; reach it over an SSH tunnel on a server)\n',
  );
  process.exit(known ? 0 : 2);
}
