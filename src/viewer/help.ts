/**
 * Help in the app: one table of keyboard shortcuts (the same in a browser and in Electron, where the menu shows
 * them too), an overlay listing them and the mouse gestures (`?`), and a first-run hint that says where to start.
 *
 *   const help = new Help(document.body);
 *   bindShortcuts(window, { tab: show, addData: () => add.open(), help: () => help.toggle(), screenshot });
 */
import { h } from './dom.js';

export type TabName = 'volume' | 'segment' | 'reading' | 'compare' | 'training';

export interface Shortcut {
  keys: string;
  what: string;
}

export const TAB_KEYS: Record<string, TabName> = {
  '1': 'volume',
  '2': 'segment',
  '3': 'reading',
  '4': 'compare',
  '5': 'training',
};

export const SHORTCUTS: Shortcut[] = [
  { keys: '1 … 5', what: 'Volume, Segment, Reading, Compare, Jobs tab' },
  { keys: 'A', what: 'add data (files, a folder, an OME-Zarr URL)' },
  { keys: 'Ctrl+Shift+S', what: 'screenshot of the active view (PNG)' },
  { keys: '?', what: 'this help' },
  { keys: 'Esc', what: 'close this help or a dialog' },
  { keys: 'wheel, ↑ ↓, PgUp PgDn', what: 'next / previous slice or layer' },
  { keys: 'Ctrl+wheel, Shift+wheel, + −', what: 'zoom about the pointer' },
  { keys: 'drag', what: 'pan' },
  { keys: 'click', what: 'move the crosshair (the other views follow)' },
  { keys: 'double-click', what: 'fit the view (the crosshair stays)' },
];

export interface ShortcutActions {
  tab(t: TabName): void;
  addData(): void;
  help(): void;
  screenshot(): void;
}

/** What a key press does, or undefined; keys typed into a field are the field's. */
export function shortcutFor(e: {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
  target?: unknown;
}): { action: keyof ShortcutActions; tab?: TabName } | undefined {
  const t = e.target as { tagName?: string; isContentEditable?: boolean } | undefined;
  if (t && (['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName ?? '') || t.isContentEditable)) return undefined;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.shiftKey && e.key.toLowerCase() === 's') return { action: 'screenshot' };
  if (mod || e.altKey) return undefined;
  if (e.key === '?') return { action: 'help' };
  if (e.key === 'a' || e.key === 'A') return { action: 'addData' };
  const tab = TAB_KEYS[e.key];
  return tab ? { action: 'tab', tab } : undefined;
}

export function bindShortcuts(target: Window, actions: ShortcutActions): void {
  target.addEventListener('keydown', (e) => {
    const s = shortcutFor(e);
    if (!s) return;
    e.preventDefault();
    if (s.action === 'tab') actions.tab(s.tab!);
    else actions[s.action]();
  });
}

export class Help {
  readonly overlay = h('dialog', { className: 'help-overlay' });

  constructor(parent: HTMLElement) {
    this.overlay.append(
      h('h2', {}, 'Keyboard and mouse'),
      h(
        'table',
        { className: 'shortcuts' },
        ...SHORTCUTS.map((s) => h('tr', {}, h('th', {}, s.keys), h('td', {}, s.what))),
      ),
      h(
        'p',
        {},
        'The four jobs: Add data (a scan and a segment with its ink labels) → Jobs: train the AUNN → Jobs: predict ink → Reading: type the known text of the labelled region, read, export.',
      ),
      h('button', { title: 'close the help (Esc)', onclick: () => this.overlay.close() }, 'Close'),
    );
    parent.append(this.overlay);
  }

  toggle(): void {
    if (this.overlay.open) this.overlay.close();
    else this.overlay.showModal();
  }
}

/** The first-run hint: shown until dismissed (the dismissal is kept in the corpus's view state). */
export function firstRunHint(empty: boolean, onDismiss: () => void, onAdd: () => void): HTMLElement {
  const box = h(
    'div',
    { className: 'first-run' },
    h('b', {}, empty ? 'This corpus is empty. ' : 'Welcome. '),
    empty
      ? 'Start with Add data: a scan, and a segment with its ink labels (a .volpkg folder holds both). '
      : 'Train on the Jobs tab, predict ink, then read and export on the Reading tab. ',
    'Press ? for the shortcuts.',
    ' ',
    empty
      ? h(
          'button',
          { className: 'primary add-data-hint', title: 'add data to the corpus', onclick: onAdd },
          'Add data…',
        )
      : '',
    ' ',
    h(
      'button',
      {
        className: 'dismiss',
        title: 'hide this hint',
        onclick: () => {
          box.remove();
          onDismiss();
        },
      },
      'Got it',
    ),
  );
  return box;
}
