// electron-builder's afterPack hook (electron-builder.json): sets the Electron fuses of
// scripts/electron-fuses.mjs on the packed binary, after packing and before signing, so
// every installer (AppImage, deb, NSIS, dmg) ships with them.
import { join } from 'node:path';
import { flipFuses } from '@electron/fuses';
import { fuseConfig } from './electron-fuses.mjs';

/** The packed app's binary: Modelbay.app on macOS, Modelbay.exe on Windows, the executable on Linux. */
export function packedBinary(context) {
  const name = context.packager.appInfo.productFilename;
  switch (context.electronPlatformName) {
    case 'darwin': case 'mas': return join(context.appOutDir, `${name}.app`);
    case 'win32': return join(context.appOutDir, `${name}.exe`);
    default: return join(context.appOutDir, context.packager.executableName ?? name.toLowerCase());
  }
}

export default async function afterPack(context) {
  const darwin = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  // Flipping fuses breaks a macOS binary's ad-hoc signature: reset it (signing follows).
  await flipFuses(packedBinary(context), { ...fuseConfig(), resetAdHocDarwinSignature: darwin });
}
