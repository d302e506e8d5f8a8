/**
 * The sandboxed preload: exposes the `AppBridge` as `window.keyport` and nothing else.
 * Built into one CommonJS file (out/preload/index.cjs): sandboxed preloads can neither
 * load ES modules nor require anything but a few Electron modules.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createIpcBridge } from './ipc.ts';

contextBridge.exposeInMainWorld('keyport', createIpcBridge(ipcRenderer));
