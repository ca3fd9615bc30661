// Exposes window.modelbay over IPC: one function per command plus subscribe, never
// ipcRenderer itself. Bundled as CommonJS: sandboxed preloads cannot be ESM.
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './api.js';

contextBridge.exposeInMainWorld('modelbay', createPreloadApi(ipcRenderer));
