/**
 * Bundles the renderer (app/renderer/main.ts + src/viewer/**, Three.js included) into dist/ui with esbuild, on
 * demand: `aunn serve` and `npm start` call ensureUiBuilt(), which rebuilds only when a source is newer than the
 * bundle. The Electron main and preload are bundled beside it (dist/app) by buildElectron().
 *
 *   const uiDir = await ensureUiBuilt();        // → <repo>/dist/ui with index.html, app.js, style.css
 *   await ensureUiBuilt({ force: true });
 */
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const UI_DIR = path.join(REPO_ROOT, 'dist/ui');
const RENDERER_DIR = path.join(REPO_ROOT, 'app/renderer');
const SOURCE_DIRS = [RENDERER_DIR, path.join(REPO_ROOT, 'src/viewer')];
const STAMP = path.join(UI_DIR, '.built');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, await newestMtime(p));
    else if (!e.name.endsWith('.test.ts')) newest = Math.max(newest, (await stat(p)).mtimeMs);
  }
  return newest;
}

/** True when dist/ui is missing or older than a renderer/viewer source. */
export async function uiIsStale(): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(STAMP)).mtimeMs;
  } catch {
    return true;
  }
  for (const d of SOURCE_DIRS) if ((await newestMtime(d)) > built) return true;
  return false;
}

let building: Promise<string> | undefined;

/** Build dist/ui when stale (or forced); concurrent callers share one build. Returns the folder. */
export async function ensureUiBuilt(opts: { force?: boolean; minify?: boolean } = {}): Promise<string> {
  if (!opts.force && !(await uiIsStale())) return UI_DIR;
  building ??= (async () => {
    try {
      const esbuild = await import('esbuild');
      // Build into a private folder, then rename each file into place: another process (a parallel test, a second
      // `aunn serve`) never reads a half-written bundle.
      const tmp = path.join(path.dirname(UI_DIR), `.ui-${process.pid}-${Date.now()}`);
      await mkdir(tmp, { recursive: true });
      await mkdir(UI_DIR, { recursive: true });
      try {
        await esbuild.build({
          entryPoints: [path.join(RENDERER_DIR, 'main.ts')],
          outfile: path.join(tmp, 'app.js'),
          bundle: true,
          format: 'esm',
          platform: 'browser',
          target: 'es2022',
          minify: opts.minify ?? true,
          sourcemap: true,
          logLevel: 'silent',
          legalComments: 'none',
        });
        await copyFile(path.join(RENDERER_DIR, 'index.html'), path.join(tmp, 'index.html'));
        await copyFile(path.join(RENDERER_DIR, 'style.css'), path.join(tmp, 'style.css'));
        for (const f of ['app.js.map', 'app.js', 'style.css', 'index.html'])
          await rename(path.join(tmp, f), path.join(UI_DIR, f));
        await writeFile(STAMP, new Date().toISOString());
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      return UI_DIR;
    } finally {
      building = undefined;
    }
  })();
  return building;
}

/** Bundle the Electron main process and preload (CommonJS; preload must be one file for the sandbox). */
export async function buildElectron(): Promise<{ main: string; preload: string }> {
  const esbuild = await import('esbuild');
  const outDir = path.join(REPO_ROOT, 'dist/app');
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    format: 'cjs' as const,
    external: ['electron', 'esbuild'],
    logLevel: 'silent' as const,
  };
  const main = path.join(outDir, 'main.cjs');
  const preload = path.join(outDir, 'preload.cjs');
  await esbuild.build({
    ...common,
    entryPoints: [path.join(REPO_ROOT, 'app/main.ts')],
    outfile: main,
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: 'const __importMetaUrl = require("url").pathToFileURL(__filename).href;' },
  });
  await esbuild.build({ ...common, entryPoints: [path.join(REPO_ROOT, 'app/preload.ts')], outfile: preload });
  return { main, preload };
}
