import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { FAKE_NVIDIA_SMI_FILES } from './src/devkit/demo/fake-gpu.js';

/** `modelbay demo --fake-gpu` runs the fake nvidia-smi: an installed package has no src/, so its files go beside the entries. */
function fakeNvidiaSmiFiles(): Plugin {
  return {
    name: 'modelbay-fake-nvidia-smi',
    generateBundle() {
      for (const file of FAKE_NVIDIA_SMI_FILES) {
        this.emitFile({ type: 'asset', fileName: `fake-nvidia-smi/${file}`, source: readFileSync(resolve(import.meta.dirname, 'src/devkit/nvidia-smi', file)) });
      }
    },
  };
}

// One build yields every entry: the Electron main process, the headless server (plain
// Node, the `npm start` fallback), the `modelbay` CLI (plain Node), the session host, the
// download worker (a worker thread of main), the demo (`modelbay demo`: the headless server
// with a local test Hub and generated models), the sandboxed preload (CommonJS: sandboxed
// preloads cannot be ESM) and the renderer.
export default defineConfig(({ command }) => {
  // `electron-vite dev` is the explicit dev mode: only under it does the app load
  // ELECTRON_RENDERER_URL (src/main/electron/dev-renderer.ts). A stray variable elsewhere is ignored.
  if (command === 'serve') process.env['MODELBAY_DEV'] = '1';
  return {
    main: {
      build: {
        outDir: 'out/main',
        externalizeDeps: true,
        rollupOptions: {
          input: {
            index: resolve(import.meta.dirname, 'src/main/electron/main.ts'),
            headless: resolve(import.meta.dirname, 'src/main/headless/main.ts'),
            host: resolve(import.meta.dirname, 'src/main/host/main.ts'),
            // A worker thread of main: receives, writes and hashes downloads off main's event loop.
            'download-worker': resolve(import.meta.dirname, 'src/main/core/artifacts/transfer/byte-worker.ts'),
            cli: resolve(import.meta.dirname, 'src/cli/main.ts'),
            demo: resolve(import.meta.dirname, 'src/devkit/demo/main.ts'),
          },
        },
      },
      plugins: [fakeNvidiaSmiFiles()],
    },
    preload: {
      build: {
        outDir: 'out/preload',
        rollupOptions: {
          input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
          output: { format: 'cjs', entryFileNames: '[name].cjs' },
        },
      },
    },
    renderer: {
      root: 'src/renderer',
      plugins: [react()],
      build: {
        outDir: 'out/renderer',
        rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
      },
    },
  };
});
