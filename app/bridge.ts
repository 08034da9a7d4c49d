/**
 * The narrow API the Electron preload exposes to the page as `window.aunn` (contextBridge). Types only: the preload
 * implements it, the renderer uses it when present (in a plain browser it is absent and the UI hides those buttons).
 *
 *   if (window.aunn) await window.aunn.openCorpus();
 */
export const IPC = {
  openCorpus: 'aunn:open-corpus',
  openFiles: 'aunn:open-files',
  recentCorpora: 'aunn:recent-corpora',
  savePng: 'aunn:save-png',
  allowZarrUrl: 'aunn:allow-zarr-url',
  menu: 'aunn:menu',
} as const;

/** Menu actions the main process sends to the page. */
export type MenuAction =
  'screenshot' | 'tab:volume' | 'tab:segment' | 'tab:compare' | 'tab:training' | 'tab:reading' | 'ingest' | 'help';

export interface AunnBridge {
  /**
   * Native folder dialog; the main process reopens the window on the chosen corpus (a new or empty folder becomes
   * an empty corpus). Null when cancelled.
   */
  openCorpus(mode?: 'open' | 'new'): Promise<string | null>;
  /** Native file dialog for scans, segments, labels, texts to ingest; absolute paths. */
  openFiles(): Promise<string[]>;
  recentCorpora(): Promise<string[]>;
  /** Native save dialog for a PNG; returns the path written, or null. */
  savePng(bytes: Uint8Array, suggestedName: string): Promise<string | null>;
  /** Let the app read this https zarr URL (everything else remote stays blocked). */
  allowZarrUrl(url: string): Promise<boolean>;
  /** Menu clicks; returns the unsubscribe function. */
  onMenu(listener: (action: MenuAction) => void): () => void;
  readonly platform: string;
}

declare global {
  interface Window {
    aunn?: AunnBridge;
  }
}
