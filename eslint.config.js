// Type-aware lint. The import rules keep the layers (README.md, "Layout") pointing one way:
// src/shared runs everywhere (no Node, DOM or Electron); src/main/core is plain Node;
// Electron is imported only in src/main/electron.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import path from 'node:path';

const nodeBuiltins = [
  'node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net',
  'stream', 'stream/*', 'url', 'util', 'events', 'worker_threads', 'zlib', 'buffer', 'process',
];

const corePatterns = [
  { group: ['electron', 'electron/*', '**/main/electron/*', '../electron/*', '../../electron/*'], message: 'src/main/core is plain Node: Electron stays in src/main/electron.' },
  { group: ['**/renderer/**', '**/preload/**', '../app', '../../app', '**/main/app'], message: 'core imports only shared and core.' },
  { group: ['onnxruntime-node', '**/host/*'], message: 'onnxruntime-node runs only in the session host (src/main/host): it blocks the thread it runs on.' },
];

// The folders of src/main/core from the bottom up. A folder may import the folders before it
// in this list, never one after it, so an import cycle between core folders fails the lint:
//   fs (atomic writes, process identity, mkdir) · async · state · slots · gpu · registry ·
//   runtime · artifacts/cache · artifacts/hub · artifacts/transfer · artifacts/manager
const CORE_ORDER = ['fs', 'async', 'state', 'slots', 'gpu', 'registry', 'runtime', 'artifacts/cache', 'artifacts/hub', 'artifacts/transfer', 'artifacts/manager'];

/** A regex for relative import specifiers that reach core folder `to` from a file in (or below) core folder `from`. */
function importInto(from, to) {
  const rel = path.posix.relative(from, to);
  const ups = rel.split('/').filter((p) => p === '..').length;
  const tail = rel.split('/').filter((p) => p !== '..').join('/').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `^(\\.\\./){${ups},}${tail}(/|$)`;
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', '.bench/**', 'scripts/**/*.mjs', 'resources/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'src/shared runs in every process: no Node built-ins.' },
          { group: ['electron', 'electron/*'], message: 'src/shared must not import Electron.' },
          { group: ['react', 'react-dom', 'react-dom/*', '**/renderer/**', '**/main/**', '**/preload/**'], message: 'src/shared imports nothing above it.' },
        ],
      }],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    languageOptions: { globals: { ...globals['shared-node-browser'] } },
    rules: {
      'no-restricted-globals': ['error',
        { name: 'window', message: 'src/shared has no DOM.' },
        { name: 'document', message: 'src/shared has no DOM.' },
        { name: 'process', message: 'src/shared has no Node process.' },
        { name: 'Buffer', message: 'src/shared has no Node Buffer.' },
        { name: 'require', message: 'src/shared is ESM.' }],
    },
  },
  {
    files: ['src/main/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: corePatterns }] },
  },
  // One block per core folder (it replaces the rule above for that folder, so it repeats corePatterns).
  ...CORE_ORDER.map((folder, i) => ({
    files: [`src/main/core/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...corePatterns, ...CORE_ORDER.slice(i + 1).map((above) => ({
          regex: importInto(folder, above),
          message: `src/main/core/${folder} must not import src/main/core/${above}: the core folders are ordered in eslint.config.js (CORE_ORDER), each imports only those before it.`,
        }))],
      }],
    },
  })),
  {
    // The main process never runs inference: onnxruntime's create() and run() block its thread.
    // What cannot run without Electron lives in src/main/electron: the headless entry, the
    // App and the server run on plain Node, so nothing else imports Electron or that folder.
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/host/**', 'src/main/core/**', 'src/main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['onnxruntime-node', '**/host/*', './host/*'], message: 'onnxruntime-node runs only in the session host (src/main/host).' },
          { group: ['electron', 'electron/*', '**/electron/*', './electron/*'], message: 'Electron-only code lives in src/main/electron; the rest of main runs without Electron.' },
        ],
      }],
    },
  },
  {
    files: ['src/main/electron/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['onnxruntime-node', '**/host/*'], message: 'onnxruntime-node runs only in the session host (src/main/host).' }],
      }],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}', 'src/preload/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/main/**', '../main/*', '../../main/*'], message: 'renderer and preload import only src/shared.' }],
      }],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
