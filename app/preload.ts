/**
 * The Electron preload (sandboxed): exposes the narrow `window.aunn` API (app/bridge.ts) through contextBridge.
 * Each method is one fixed IPC channel with checked arguments; the page never sees ipcRenderer or Node.
 * Bundled to dist/app/preload.cjs by src/server/build-ui.ts.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC, type AunnBridge, type MenuAction } from './bridge.js';

export function buildBridge(
  ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>,
  platform: string,
): AunnBridge {
  return {
    openCorpus: (mode?: 'open' | 'new') =>
      ipc.invoke(IPC.openCorpus, mode === 'new' ? 'new' : 'open') as Promise<string | null>,
    openFiles: () => ipc.invoke(IPC.openFiles) as Promise<string[]>,
    recentCorpora: () => ipc.invoke(IPC.recentCorpora) as Promise<string[]>,
    savePng: (bytes, suggestedName) => {
      if (!(bytes instanceof Uint8Array)) return Promise.reject(new TypeError('savePng: bytes must be a Uint8Array'));
      return ipc.invoke(IPC.savePng, bytes, String(suggestedName)) as Promise<string | null>;
    },
    allowZarrUrl: (url) => ipc.invoke(IPC.allowZarrUrl, String(url)) as Promise<boolean>,
    onMenu: (listener) => {
      // The page gets the action only, never the IPC event (which would leak `sender`).
      const wrapped = (_e: IpcRendererEvent, action: MenuAction) => listener(action);
      ipc.on(IPC.menu, wrapped);
      return () => void ipc.removeListener(IPC.menu, wrapped);
    },
    platform,
  };
}

contextBridge.exposeInMainWorld('aunn', buildBridge(ipcRenderer, process.platform));
