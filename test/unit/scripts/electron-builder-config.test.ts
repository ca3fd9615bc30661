/**
 * The desktop installers' configuration (electron-builder.json, `npm run dist`). The
 * installers cannot be built here (Electron's release zips are out of reach), so the
 * configuration is read and its hook is run on a stand-in binary.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtByteWorker } from '../../../src/main/core/artifacts/transfer/byte-thread.js';

const ROOT = join(import.meta.dirname, '../../..');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

interface BuilderConfig {
  files: string[];
  extraResources: Array<{ from: string; to: string }>;
  asarUnpack: string[];
  afterPack: string;
  directories: { output: string };
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
}

const config = JSON.parse(readFileSync(join(ROOT, 'electron-builder.json'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };

describe('electron-builder configuration', () => {
  it('builds AppImage and deb on Linux, NSIS on Windows, dmg on macOS, from `npm run dist` after the build', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(pkg.scripts['dist']).toMatch(/^electron-vite build && electron-builder\b/);
    // Into a folder git ignores.
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain(`${config.directories.output}/`);
  });

  it('packs the build, not the sources; the catalog where the packaged app reads it; onnxruntime unpacked', () => {
    expect(config.files).toContain('out/**');
    for (const excluded of ['!src/**', '!test/**', '!bench/**']) expect(config.files).toContain(excluded);
    expect(pkg.main.startsWith('./out/main/') || pkg.main.startsWith('out/main/')).toBe(true);
    // The Electron entry reads process.resourcesPath/catalog.json when packaged.
    expect(config.extraResources).toContainEqual({ from: 'resources/catalog.json', to: 'catalog.json' });
    expect(config.asarUnpack.some((p) => p.startsWith('node_modules/onnxruntime-node/'))).toBe(true);
    expect(Object.keys(pkg.dependencies)).toContain('onnxruntime-node');
    expect(Object.keys(pkg.dependencies)).not.toContain('electron');
  });

  it('packs the download worker main starts: an entry of the main build, under out/main beside the entries', () => {
    const vite = readFileSync(join(ROOT, 'electron.vite.config.ts'), 'utf8');
    expect(vite).toMatch(/'download-worker': resolve\(import\.meta\.dirname, 'src\/main\/core\/artifacts\/transfer\/byte-worker\.ts'\)/);
    expect(builtByteWorker(join('out', 'main'))).toEqual({ path: join('out', 'main', 'download-worker.js'), tsx: false });
    expect(config.files).toContain('out/**');
  });

  it('the afterPack hook sets the fuses on the packed Linux binary', async () => {
    const hook = (await import(pathToFileURL(join(ROOT, config.afterPack)).href)) as {
      default: (context: unknown) => Promise<void>;
      packedBinary: (context: unknown) => string;
    };
    const appOutDir = mkdtempSync(join(tmpdir(), 'modelbay-builder-'));
    const context = { appOutDir, electronPlatformName: 'linux', packager: { appInfo: { productFilename: 'Modelbay' }, executableName: 'modelbay' } };
    expect(hook.packedBinary(context)).toBe(join(appOutDir, 'modelbay'));
    expect(hook.packedBinary({ ...context, electronPlatformName: 'win32' })).toBe(join(appOutDir, 'Modelbay.exe'));
    expect(hook.packedBinary({ ...context, electronPlatformName: 'darwin' })).toBe(join(appOutDir, 'Modelbay.app'));
    writeFileSync(join(appOutDir, 'modelbay'), Buffer.concat([Buffer.from('\x7fELF…'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from('10111111'), Buffer.from('…')]));
    await hook.default(context);
    const bytes = readFileSync(join(appOutDir, 'modelbay'));
    const at = bytes.indexOf(SENTINEL) + SENTINEL.length + 2;
    expect(bytes.subarray(at, at + 8).toString()).toBe('01001111');
  });
});
