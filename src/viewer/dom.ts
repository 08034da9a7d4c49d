/**
 * A tiny element builder (no framework): `h('button', { onclick }, 'Save')`. Text is always set as text, never HTML.
 *
 *   const slider = h('input', { type: 'range', min: '0', max: '64', oninput: () => ... });
 */
type Attrs = Record<string, string | number | boolean | ((e: any) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') (el as any)[k] = v;
    else if (k === 'className') el.className = String(v);
    else if (k.startsWith('data-')) el.setAttribute(k, String(v));
    else if (k in el && typeof (el as any)[k] !== 'object') (el as any)[k] = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== undefined) el.append(c);
  return el;
}

/** Save a blob as a download (browser) — the Electron preload offers a native save dialog instead. */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
