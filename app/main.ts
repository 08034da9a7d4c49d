/**
 * The Electron main process: opens a corpus (command line `--corpus DIR`, the last recent one, or a folder dialog),
 * starts the same local API server as `aunn serve` in-process, and loads its URL (token included) in one hardened
 * window (app/security.ts). Native menus, open-folder / open-file dialogs, recent corpora, PNG save dialog.
 * Bundled to dist/app/main.cjs; `npm start` (app/launch.ts) builds and launches it.
 *
 *   electron dist/app/main.cjs --corpus ./corpus
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, Menu, app, dialog, ipcMain, session, type MenuItemConstructorOptions } from 'electron';
import { openCorpusForServing } from '../src/server/open-corpus.js';
import { startServer, type AppServer } from '../src/server/server.js';
import { IPC, type MenuAction } from './bridge.js';
import { corpusFromArgv } from './corpus-arg.js';
import { RecentCorpora } from './recent.js';
import { utilityJobProcess } from './job-process.js';
import {
  hardenWebContents,
  hardenedWebPreferences,
  installSessionPolicy,
  isTrustedSender,
  type IpcSender,
} from './security.js';

/** dist/app when bundled (preload.cjs beside it, the UI in dist/ui). */
const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface AppContext {
  win?: BrowserWindow;
  server?: AppServer;
  corpusDir?: string;
  /** https zarr roots the user entered; the only remote content allowed. */
  allowedRemote: Set<string>;
  recent: RecentCorpora;
  paths: { preload: string; uiDir: string; aunnBin: string };
  /** An unpackaged app (or AUNN_DEV=1): DevTools in the menu and the window. */
  development?: boolean;
}

export function defaultPaths(here = HERE): AppContext['paths'] {
  return {
    preload: path.join(here, 'preload.cjs'),
    uiDir: path.join(here, '../ui'),
    aunnBin: path.join(here, '../../bin/aunn.js'),
  };
}

export function createMainWindow(ctx: AppContext, origin: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 920,
    title: 'Scroll AUNN',
    backgroundColor: '#0d0d11',
    show: false,
    webPreferences: hardenedWebPreferences(ctx.paths.preload, ctx.development === true),
  });
  hardenWebContents(win.webContents, origin);
  win.once('ready-to-show', () => win.show());
  return win;
}

/** Serve `dir` and show it; replaces the previous corpus's server and window. */
export async function openCorpus(ctx: AppContext, dir: string): Promise<void> {
  const corpus = await openCorpusForServing(dir);
  const server = await startServer({
    corpus,
    uiDir: ctx.paths.uiDir,
    aunnBin: ctx.paths.aunnBin,
    jobs: { spawnProcess: utilityJobProcess },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  installSessionPolicy(session.defaultSession, origin, ctx.allowedRemote);
  const old = { win: ctx.win, server: ctx.server };
  ctx.server = server;
  ctx.corpusDir = corpus.dir;
  ctx.win = createMainWindow(ctx, origin);
  await ctx.win.loadURL(server.url);
  old.win?.destroy();
  await old.server?.close();
  await ctx.recent.add(corpus.dir);
  Menu.setApplicationMenu(Menu.buildFromTemplate(await menuTemplate(ctx)));
}

/**
 * Ask for a corpus folder and open it: an existing corpus, or a new or empty folder (which becomes an empty corpus).
 * A folder that cannot be one (it holds other files) is explained and asked again; cancel ends it.
 */
export async function chooseCorpus(ctx: AppContext, mode: 'open' | 'new' = 'open'): Promise<string | null> {
  for (;;) {
    const r = await dialog.showOpenDialog({
      title: mode === 'new' ? 'Choose an empty folder for the new corpus' : 'Open a corpus folder (or an empty one)',
      buttonLabel: mode === 'new' ? 'Create corpus here' : 'Open',
      properties: ['openDirectory', 'createDirectory'],
    });
    if (r.canceled || !r.filePaths[0]) return null;
    try {
      await openCorpus(ctx, r.filePaths[0]);
      return r.filePaths[0];
    } catch (e) {
      await dialog.showMessageBox({ type: 'warning', message: 'Scroll AUNN', detail: (e as Error).message });
    }
  }
}

function send(ctx: AppContext, action: MenuAction): void {
  ctx.win?.webContents.send(IPC.menu, action);
}

export async function menuTemplate(ctx: AppContext): Promise<MenuItemConstructorOptions[]> {
  const recent = await ctx.recent.list();
  return [
    {
      label: 'File',
      submenu: [
        { label: 'New Corpus…', accelerator: 'CmdOrCtrl+N', click: () => void chooseCorpus(ctx, 'new') },
        { label: 'Open Corpus…', accelerator: 'CmdOrCtrl+O', click: () => void chooseCorpus(ctx) },
        {
          label: 'Open Recent',
          submenu: recent.length
            ? recent.map((d) => ({ label: d, click: () => void openCorpus(ctx, d) }))
            : [{ label: '(none)', enabled: false }],
        },
        { label: 'Add Data…', accelerator: 'CmdOrCtrl+I', click: () => send(ctx, 'ingest') },
        { label: 'Screenshot (PNG)', accelerator: 'CmdOrCtrl+Shift+S', click: () => send(ctx, 'screenshot') },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: 'View',
      submenu: [
        { label: 'Volume', accelerator: 'CmdOrCtrl+1', click: () => send(ctx, 'tab:volume') },
        { label: 'Segment', accelerator: 'CmdOrCtrl+2', click: () => send(ctx, 'tab:segment') },
        { label: 'Compare', accelerator: 'CmdOrCtrl+3', click: () => send(ctx, 'tab:compare') },
        { label: 'Training', accelerator: 'CmdOrCtrl+4', click: () => send(ctx, 'tab:training') },
        { type: 'separator' },
        { role: 'reload' },
        ...(ctx.development ? [{ role: 'toggleDevTools' } as const] : []),
        { role: 'togglefullscreen' },
      ],
    },
    {
      role: 'help',
      submenu: [
        { label: 'Keyboard Shortcuts', accelerator: 'Shift+/', click: () => send(ctx, 'help') },
        { type: 'separator' },
        { label: 'Scroll AUNN — reconstruct carbonized scrolls with one Absolute Unit NN', enabled: false },
      ],
    },
  ];
}

/** The IPC handlers behind the preload's API; each checks its sender (our window's top frame) and its arguments. */
export function registerIpc(ctx: AppContext): void {
  const handle = (channel: string, handler: (...args: unknown[]) => unknown) =>
    ipcMain.handle(channel, (event: IpcSender, ...args: unknown[]) => {
      const origin = ctx.server ? `http://127.0.0.1:${ctx.server.port}` : 'null';
      if (!isTrustedSender(event, origin, ctx.win?.webContents))
        throw new Error(`${channel}: refused, the call does not come from the app's window`);
      return handler(...args);
    });
  handle(IPC.openCorpus, (mode: unknown) => chooseCorpus(ctx, mode === 'new' ? 'new' : 'open'));
  handle(IPC.recentCorpora, () => ctx.recent.list());
  handle(IPC.openFiles, async () => {
    const r = await dialog.showOpenDialog({
      title: 'Add scans, segments, labels or texts',
      properties: ['openFile', 'openDirectory', 'multiSelections'],
      filters: [
        {
          name: 'Scans and segments',
          extensions: [
            'tif',
            'tiff',
            'zarr',
            'nrrd',
            'nii',
            'gz',
            'mha',
            'mhd',
            'obj',
            'png',
            'txt',
            'json',
            'volpkg',
            'dcm',
          ],
        },
        { name: 'All files', extensions: ['*'] },
      ],
    });
    if (r.canceled) return [];
    // What the user chose here, and only that, may be ingested by a job (src/server/job-request.ts).
    for (const f of r.filePaths) ctx.server?.jobs.grantSource(f);
    return r.filePaths;
  });
  handle(IPC.savePng, async (bytes: unknown, name: unknown) => {
    if (!(bytes instanceof Uint8Array) || bytes.length > 256 * 1024 * 1024)
      throw new Error('savePng: expected PNG bytes');
    if (bytes[0] !== 0x89 || bytes[1] !== 0x50 || bytes[2] !== 0x4e || bytes[3] !== 0x47)
      throw new Error('savePng: not a PNG');
    const r = await dialog.showSaveDialog({
      defaultPath: path.basename(String(name ?? 'aunn.png')),
      filters: [{ name: 'PNG image', extensions: ['png'] }],
    });
    if (r.canceled || !r.filePath) return null;
    await writeFile(r.filePath, bytes);
    return r.filePath;
  });
  handle(IPC.allowZarrUrl, (url: unknown) => {
    try {
      const u = new URL(String(url));
      if (u.protocol !== 'https:') return false;
      ctx.allowedRemote.add(u.href);
      return true;
    } catch {
      return false;
    }
  });
}

export async function startApp(): Promise<AppContext> {
  app.enableSandbox();
  await app.whenReady();
  const ctx: AppContext = {
    allowedRemote: new Set(),
    recent: new RecentCorpora(path.join(app.getPath('userData'), 'recent.json')),
    paths: defaultPaths(),
    development: !app.isPackaged || process.env.AUNN_DEV === '1',
  };
  registerIpc(ctx);
  Menu.setApplicationMenu(Menu.buildFromTemplate(await menuTemplate(ctx)));
  app.on('web-contents-created', (_e, contents) => {
    const origin = ctx.server ? `http://127.0.0.1:${ctx.server.port}` : 'null';
    hardenWebContents(contents, origin);
  });
  app.on('window-all-closed', () => {
    void ctx.server?.close();
    app.quit();
  });
  const dir = corpusFromArgv(process.argv) ?? (await ctx.recent.list())[0];
  try {
    if (dir) await openCorpus(ctx, dir);
    else if (!(await chooseCorpus(ctx))) app.quit();
  } catch (e) {
    await dialog.showMessageBox({ type: 'warning', message: 'Scroll AUNN', detail: (e as Error).message });
    if (!(await chooseCorpus(ctx))) app.quit();
  }
  return ctx;
}

// Start only inside Electron (unit tests import the functions above with `electron` mocked).
if (process.versions.electron && !process.env.VITEST) void startApp();
