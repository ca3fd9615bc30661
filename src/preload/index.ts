// Exposes window.modelbay over IPC: one function per command, never ipcRenderer itself.
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('modelbay', { version: '0.1.0' });
