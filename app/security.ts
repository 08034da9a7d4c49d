/**
 * Electron hardening in one place, so it can be unit-tested with the `electron` module mocked: the window's web
 * preferences (context isolation, sandbox, no Node), navigation and new windows blocked, permissions denied, a
 * strict CSP on every response, and no remote request except the zarr URLs the user entered.
 *
 *   new BrowserWindow({ webPreferences: hardenedWebPreferences(preloadPath) });
 *   hardenWebContents(win.webContents, serverOrigin);
 *   installSessionPolicy(session.defaultSession, serverOrigin, allowedRemote);
 */
import type { Session, WebContents, WebPreferences } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../src/server/security.js';

export { CONTENT_SECURITY_POLICY };

/** `devTools` only in development (an unpackaged app or AUNN_DEV=1): a packaged app has no DevTools at all. */
export function hardenedWebPreferences(preload: string, devTools = false): WebPreferences {
  return {
    preload,
    devTools,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** Is `url` a page of our own server (same origin)? */
export function isAppUrl(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/** The part of an IPC event the sender check reads (Electron's IpcMainInvokeEvent). */
export interface IpcSender {
  sender?: unknown;
  senderFrame?: { url: string; parent: unknown } | null;
}

/**
 * Is this IPC call from the app's own window, from its top frame, showing a page of our server? Anything else
 * (a frame of another origin, a subframe, a second webContents) is refused before a handler runs.
 */
export function isTrustedSender(event: IpcSender, origin: string, contents: unknown): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null || contents === undefined || event.sender !== contents) return false;
  return isAppUrl(frame.url, origin);
}

/** A remote https URL under one of the zarr roots the user entered. */
export function isAllowedRemote(url: string, allowed: ReadonlySet<string>): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:') return false;
  for (const root of allowed) {
    const r = new URL(root);
    const base = r.href.endsWith('/') ? r.href : `${r.href}/`;
    if (u.origin === r.origin && (u.href === r.href || u.href.startsWith(base))) return true;
  }
  return false;
}

/** Block navigation away from the app, new windows, webviews and in-page redirects. */
export function hardenWebContents(contents: WebContents, origin: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, origin)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, origin)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Permissions denied, CSP added to every response, remote requests cancelled unless allowed. */
export function installSessionPolicy(session: Session, origin: string, allowedRemote: ReadonlySet<string>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.webRequest.onBeforeRequest((details, callback) => {
    const url = details.url;
    const ok =
      isAppUrl(url, origin) ||
      url.startsWith('devtools:') ||
      url.startsWith('blob:') ||
      url.startsWith('data:') ||
      isAllowedRemote(url, allowedRemote);
    callback({ cancel: !ok });
  });
}
