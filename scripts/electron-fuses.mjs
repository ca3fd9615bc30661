#!/usr/bin/env node
// The Electron fuses a packaged Modelbay ships with, and the step that sets them:
// `npm run fuses -- <path to the packaged Electron binary or .app>`, after packaging and
// before signing. Fuses are switches compiled into the binary: unlike a flag checked in
// our code, a user's environment cannot turn them back on.
//   RunAsNode off           ELECTRON_RUN_AS_NODE cannot turn the app into a plain Node runtime
//   NODE_OPTIONS off        NODE_OPTIONS cannot inject code (--require) into the app
//   inspect arguments off   --inspect cannot attach a debugger to the main process
//   cookie encryption on    cookies are encrypted at rest with the OS key store
// Not set on the development binary in node_modules: Playwright's Electron tests attach
// with --inspect, which the packaged app refuses.
import { FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';

export const ELECTRON_FUSES = Object.freeze({
  RunAsNode: false,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableCookieEncryption: true,
});

/** The configuration @electron/fuses takes. */
export function fuseConfig() {
  const config = { version: FuseVersion.V1 };
  for (const [name, on] of Object.entries(ELECTRON_FUSES)) {
    const index = FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`@electron/fuses does not know the fuse ${name}`);
    config[index] = on;
  }
  return config;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2];
  if (!target) {
    process.stderr.write('Usage: npm run fuses -- <path to the packaged Electron binary or .app>\n');
    process.exit(2);
  }
  await flipFuses(target, fuseConfig());
  process.stdout.write(`Set the Electron fuses of ${target}: ${Object.entries(ELECTRON_FUSES).map(([k, v]) => `${k}=${v ? 'on' : 'off'}`).join(', ')}\n`);
}
