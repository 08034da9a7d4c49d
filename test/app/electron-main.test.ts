/**
 * The Electron main process and preload without Electron's binary: the `electron` module is mocked at that
 * boundary only; the hardening, IPC checks and the bridge are the real code.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => {
  type Handler = (...args: any[]) => any;
  class FakeWebContents {
    handlers = new Map<string, Handler[]>();
    openHandler?: Handler;
    sent: unknown[][] = [];
    on(event: string, h: Handler) {
      this.handlers.set(event, [...(this.handlers.get(event) ?? []), h]);
      return this;
    }
    setWindowOpenHandler(h: Handler) {
      this.openHandler = h;
    }
    send(...args: unknown[]) {
      this.sent.push(args);
    }
    /** Fire an event the way Electron would; returns whether any handler prevented it. */
    emit(event: string, ...args: unknown[]): boolean {
      let prevented = false;
      for (const h of this.handlers.get(event) ?? []) h({ preventDefault: () => (prevented = true) }, ...args);
      return prevented;
    }
  }
  const windows: any[] = [];
  class BrowserWindow {
    webContents = new FakeWebContents();
    loaded?: string;
    constructor(readonly options: any) {
      windows.push(this);
    }
    once() {}
    show() {}
    destroy() {}
    async loadURL(url: string) {
      this.loaded = url;
    }
  }
  const ipcHandlers = new Map<string, Handler>();
  const webRequest = {
    headers: undefined as Handler | undefined,
    before: undefined as Handler | undefined,
    onHeadersReceived(h: Handler) {
      this.headers = h;
    },
    onBeforeRequest(h: Handler) {
      this.before = h;
    },
  };
  const defaultSession = {
    webRequest,
    permissionHandler: undefined as Handler | undefined,
    checkHandler: undefined as Handler | undefined,
    setPermissionRequestHandler(h: Handler) {
      this.permissionHandler = h;
    },
    setPermissionCheckHandler(h: Handler) {
      this.checkHandler = h;
    },
  };
  const exposed: Record<string, any> = {};
  const ipcRenderer = { invoke: vi.fn(async (..._args: unknown[]) => 'ok'), on: vi.fn(), removeListener: vi.fn() };
  return {
    windows,
    ipcHandlers,
    defaultSession,
    exposed,
    ipcRenderer,
    dialog: { showOpenDialog: vi.fn(), showSaveDialog: vi.fn(), showErrorBox: vi.fn() },
    module: {} as any,
    BrowserWindow,
    forks: [] as { modulePath: string; args: string[]; options: any; child: any }[],
  };
});

vi.mock('electron', () => ({
  app: {
    enableSandbox: vi.fn(),
    whenReady: vi.fn(async () => {}),
    getPath: () => os.tmpdir(),
    on: vi.fn(),
    quit: vi.fn(),
  },
  BrowserWindow: electron.BrowserWindow,
  Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: vi.fn() },
  dialog: electron.dialog,
  ipcMain: { handle: (ch: string, h: any) => electron.ipcHandlers.set(ch, h) },
  session: { defaultSession: electron.defaultSession },
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (electron.exposed[key] = api) },
  ipcRenderer: electron.ipcRenderer,
  utilityProcess: {
    fork: (modulePath: string, args: string[], options: any) => {
      const { PassThrough } = require('node:stream') as typeof import('node:stream');
      const { EventEmitter } = require('node:events') as typeof import('node:events');
      const child = Object.assign(new EventEmitter(), {
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        kill: vi.fn(() => true),
      });
      electron.forks.push({ modulePath, args, options, child });
      return child;
    },
  },
}));

const { hardenedWebPreferences, hardenWebContents, installSessionPolicy, isAllowedRemote, CONTENT_SECURITY_POLICY } =
  await import('../../app/security.js');
const main = await import('../../app/main.js');
const { IPC } = await import('../../app/bridge.js');
const { RecentCorpora } = await import('../../app/recent.js');

const tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-electron-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

function context() {
  return {
    allowedRemote: new Set<string>(),
    recent: new RecentCorpora(path.join(tmp, 'recent.json')),
    paths: main.defaultPaths('/opt/aunn/dist/app'),
  };
}

describe('Electron main window', () => {
  beforeEach(() => electron.windows.splice(0));

  it('is hardened: context isolation, sandbox, no Node, web security, the preload from dist/app', () => {
    const win = main.createMainWindow(context(), 'http://127.0.0.1:4000') as unknown as { options: any };
    const prefs = win.options.webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(prefs.preload).toBe('/opt/aunn/dist/app/preload.cjs');
    expect(hardenedWebPreferences('/p')).toEqual({ ...prefs, preload: '/p' });
  });

  it('blocks navigation away from the app, redirects, webviews and new windows', () => {
    const contents = new (electron.BrowserWindow as any)({}).webContents;
    hardenWebContents(contents, 'http://127.0.0.1:4000');
    expect(contents.emit('will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.emit('will-navigate', 'http://127.0.0.1:4001/')).toBe(true);
    expect(contents.emit('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(contents.emit('will-navigate', 'http://127.0.0.1:4000/?x=1')).toBe(false);
    expect(contents.emit('will-redirect', 'https://evil.example/')).toBe(true);
    expect(contents.emit('will-attach-webview')).toBe(true);
    expect(contents.openHandler({ url: 'http://127.0.0.1:4000/' })).toEqual({ action: 'deny' });
  });

  it('adds the strict CSP to every response, denies permissions, cancels remote requests except allowed zarr URLs', () => {
    const allowed = new Set(['https://data.example/scroll1.zarr']);
    installSessionPolicy(electron.defaultSession as any, 'http://127.0.0.1:4000', allowed);
    let headers: any;
    electron.defaultSession.webRequest.headers!(
      { responseHeaders: { 'Content-Type': ['text/html'] } },
      (r: any) => (headers = r.responseHeaders),
    );
    expect(headers['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
    let granted: boolean | undefined;
    electron.defaultSession.permissionHandler!({}, 'media', (g: boolean) => (granted = g));
    expect(granted).toBe(false);
    expect(electron.defaultSession.checkHandler!()).toBe(false);
    const cancelled = (url: string) => {
      let c: boolean | undefined;
      electron.defaultSession.webRequest.before!({ url }, (r: any) => (c = r.cancel));
      return c;
    };
    expect(cancelled('http://127.0.0.1:4000/api/records')).toBe(false);
    expect(cancelled('https://cdn.example/lib.js')).toBe(true);
    expect(cancelled('http://data.example/scroll1.zarr/.zgroup')).toBe(true);
    expect(cancelled('https://data.example/scroll1.zarr/0/.zarray')).toBe(false);
    expect(cancelled('https://data.example/scroll1.zarr.evil/0')).toBe(true);
    expect(isAllowedRemote('https://data.example/other.zarr', allowed)).toBe(false);
  });
});

describe('Electron IPC handlers', () => {
  const ctx = context();
  const win = new (electron.BrowserWindow as any)({});
  Object.assign(ctx, { win, server: { port: 4000, jobs: { grantSource: vi.fn() } } });
  main.registerIpc(ctx as any);
  const topFrame = { url: 'http://127.0.0.1:4000/?token=t', parent: null };
  const call = (ch: string, ...args: unknown[]) =>
    electron.ipcHandlers.get(ch)!({ sender: win.webContents, senderFrame: topFrame }, ...args);

  it('refuses calls from another origin, a subframe or another webContents, before the handler runs', async () => {
    const from = (event: unknown) => electron.ipcHandlers.get(IPC.allowZarrUrl)!(event, 'https://x.example/a.zarr');
    const refused = /does not come from the app's window/;
    expect(() =>
      from({ sender: win.webContents, senderFrame: { url: 'https://evil.example/', parent: null } }),
    ).toThrow(refused);
    expect(() => from({ sender: win.webContents, senderFrame: { url: topFrame.url, parent: {} } })).toThrow(refused);
    expect(() => from({ sender: {}, senderFrame: topFrame })).toThrow(refused);
    expect(() => from({ sender: win.webContents, senderFrame: null })).toThrow(refused);
    expect(() =>
      from({ sender: win.webContents, senderFrame: { url: 'http://127.0.0.1:4001/', parent: null } }),
    ).toThrow(refused);
    expect(ctx.allowedRemote.size).toBe(0);
  });

  it('grants the ingest jobs exactly the files the user picked in the dialog', async () => {
    electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/data/scan.tif'] });
    expect(await call(IPC.openFiles)).toEqual(['/data/scan.tif']);
    expect((ctx as any).server.jobs.grantSource.mock.calls).toEqual([['/data/scan.tif']]);
  });

  it('saves PNG bytes only, through the native save dialog', async () => {
    const file = path.join(tmp, 'shot.png');
    electron.dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: file });
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 1, 2, 3]);
    expect(await call(IPC.savePng, png, '../../evil.png')).toBe(file);
    expect(electron.dialog.showSaveDialog.mock.calls[0]![0].defaultPath).toBe('evil.png');
    expect(new Uint8Array(await readFile(file))).toEqual(png);
    await expect(call(IPC.savePng, new Uint8Array([1, 2, 3, 4]), 'x.png')).rejects.toThrow('not a PNG');
    await expect(call(IPC.savePng, 'text', 'x.png')).rejects.toThrow('PNG bytes');
  });

  it('allows only https zarr URLs the user entered', async () => {
    expect(await call(IPC.allowZarrUrl, 'http://plain.example/a.zarr')).toBe(false);
    expect(await call(IPC.allowZarrUrl, 'not a url')).toBe(false);
    expect(await call(IPC.allowZarrUrl, 'https://data.example/s.zarr')).toBe(true);
    expect([...ctx.allowedRemote]).toEqual(['https://data.example/s.zarr']);
  });

  it('keeps the recent corpora, most recent first, without duplicates', async () => {
    await ctx.recent.add('/a');
    await ctx.recent.add('/b');
    await ctx.recent.add('/a');
    expect(await call(IPC.recentCorpora)).toEqual(['/a', '/b']);
    const menu = await main.menuTemplate(ctx as any);
    const file = menu.find((m) => m.label === 'File')!.submenu as any[];
    expect(file.find((i) => i.label === 'Open Recent').submenu.map((i: any) => i.label)).toEqual(['/a', '/b']);
  });
});

describe('production build', () => {
  it('has DevTools only in development: not in the window, not in the menu', async () => {
    const prod = main.createMainWindow(context(), 'http://127.0.0.1:4000') as unknown as { options: any };
    expect(prod.options.webPreferences.devTools).toBe(false);
    const dev = main.createMainWindow({ ...context(), development: true }, 'http://127.0.0.1:4000') as any;
    expect(dev.options.webPreferences.devTools).toBe(true);
    const roles = async (c: any) =>
      (await main.menuTemplate(c)).flatMap((m: any) => (m.submenu ?? []).map((i: any) => i.role)).filter(Boolean);
    expect(await roles(context())).not.toContain('toggleDevTools');
    expect(await roles({ ...context(), development: true })).toContain('toggleDevTools');
  });

  it('runs jobs in a utilityProcess (no ELECTRON_RUN_AS_NODE) and passes their output and exit', async () => {
    const { utilityJobProcess } = await import('../../app/job-process.js');
    const job = utilityJobProcess('/electron', ['/opt/aunn/bin/aunn.js', 'train', '--steps', '5'], { A: '1' });
    const fork = electron.forks.at(-1)!;
    expect(fork.modulePath).toBe('/opt/aunn/bin/aunn.js');
    expect(fork.args).toEqual(['train', '--steps', '5']);
    expect(fork.options).toMatchObject({ stdio: 'pipe', env: { A: '1' } });
    let code: number | null | undefined;
    job.onExit((c) => (code = c));
    job.kill('SIGTERM');
    expect(fork.child.kill).toHaveBeenCalledTimes(1);
    fork.child.emit('exit', 0);
    expect(code).toBe(0);
    job.kill('SIGKILL');
    expect(fork.child.kill).toHaveBeenCalledTimes(1);
  });

  it('is packaged with the fuses off that would let anyone run it as Node or inject options', async () => {
    const yaml = (await import('js-yaml')).default;
    const config = yaml.load(
      await readFile(path.join(import.meta.dirname, '../../electron-builder.yml'), 'utf8'),
    ) as any;
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    for (const f of ['../../src/server/jobs.ts', '../../app/main.ts', '../../app/job-process.ts'])
      expect(await readFile(path.join(import.meta.dirname, f), 'utf8')).not.toMatch(/ELECTRON_RUN_AS_NODE: '1'/);
  });
});

describe('preload', () => {
  it('exposes only the narrow typed API on window.aunn, each method one fixed channel', async () => {
    await import('../../app/preload.js');
    const api = electron.exposed.aunn;
    expect(Object.keys(api).sort()).toEqual([
      'allowZarrUrl',
      'onMenu',
      'openCorpus',
      'openFiles',
      'platform',
      'recentCorpora',
      'savePng',
    ]);
    expect(Object.values(api).includes(electron.ipcRenderer)).toBe(false);
    await api.openCorpus();
    await api.openCorpus('new');
    await api.savePng(new Uint8Array([1]), 'a.png');
    expect(electron.ipcRenderer.invoke.mock.calls).toEqual([
      [IPC.openCorpus, 'open'],
      [IPC.openCorpus, 'new'],
      [IPC.savePng, new Uint8Array([1]), 'a.png'],
    ]);
    await expect(api.savePng('not bytes', 'a.png')).rejects.toThrow(TypeError);
  });

  it('passes menu actions to the page without the IPC event', async () => {
    const api = electron.exposed.aunn;
    const seen: unknown[][] = [];
    const off = api.onMenu((...args: unknown[]) => seen.push(args));
    const [channel, wrapped] = electron.ipcRenderer.on.mock.calls.at(-1)!;
    expect(channel).toBe(IPC.menu);
    (wrapped as any)({ sender: 'secret' }, 'tab:segment');
    expect(seen).toEqual([['tab:segment']]);
    off();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith(IPC.menu, wrapped);
  });
});
