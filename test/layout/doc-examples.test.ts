// A module doc's example calls functions that exist: every bare call `name(` in the indented example lines of a
// source file's opening comment is a function the project exports, the file defines or imports, the example binds
// itself, or a JavaScript global.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const GLOBALS = new Set(
  (
    'await import require new if for while switch return typeof Number String Boolean Array Object Math JSON Promise Date Error ' +
    'Uint8Array Uint16Array Float32Array Float64Array Int32Array BigInt Map Set URL fetch Request setTimeout structuredClone ' +
    'writeFile readFile mkdir console describe it expect async for if'
  ).split(' '),
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The example lines (indented by three or more spaces inside the first block comment) of a file. */
function exampleLines(text: string): string[] {
  const m = /^\s*\/\*\*([\s\S]*?)\*\//.exec(text);
  if (!m) return [];
  return m[1]!
    .split('\n')
    .map((l) => /^\s*\*(\s{3,})(\S.*)$/.exec(l)?.[2])
    .filter((l): l is string => l !== undefined && /\w\(/.test(l) && !/^(aunn|npm|npx|GET|PUT|POST|DELETE)\b/.test(l));
}

/** Every name exported by a source file of the project. */
function exportedNames(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(
      /export\s+(?:default\s+)?(?:async\s+)?(?:function\*?|class|const|let)\s+([A-Za-z_$][\w$]*)/g,
    ))
      names.add(m[1]!);
  }
  return names;
}

function unknownCalls(file: string, exported: Set<string>): string[] {
  const text = readFileSync(file, 'utf8');
  const code = text.replace(/^\s*\/\*\*[\s\S]*?\*\//, '');
  const known = new Set<string>(exported);
  for (const m of code.matchAll(/\b(?:function\*?|class|const|let|var|async function)\s+([A-Za-z_$][\w$]*)/g))
    known.add(m[1]!);
  for (const m of code.matchAll(/import\s+(?:type\s+)?([\s\S]*?)\s+from\s/g)) {
    for (const n of m[1]!.replace(/[{}*]/g, ' ').split(/[\s,]+/)) if (n && n !== 'as' && n !== 'type') known.add(n);
  }
  for (const m of code.matchAll(/export\s*\{([^}]*)\}/g)) for (const n of m[1]!.split(/[\s,]+/)) known.add(n);
  const missing: string[] = [];
  const lines = exampleLines(text);
  // Names the example binds itself: `const rand = …`, `const { a, b } = …`, arrow parameters `(w) =>`.
  for (const line of lines) {
    for (const m of line.matchAll(/\b(?:const|let)\s+([A-Za-z_$][\w$]*)/g)) known.add(m[1]!);
    for (const m of line.matchAll(/\b(?:const|let)\s*\{([^}]*)\}/g))
      for (const n of m[1]!.split(/[\s,:]+/)) known.add(n);
    for (const m of line.matchAll(/\(([^()]*)\)\s*=>/g)) for (const n of m[1]!.split(/[\s,:]+/)) known.add(n);
    for (const m of line.matchAll(/([A-Za-z_$][\w$]*)\s*=>/g)) known.add(m[1]!);
  }
  for (const line of lines) {
    const comment = line.indexOf('//');
    const src = (comment >= 0 ? line.slice(0, comment) : line).replace(/(['"`]).*?\1/g, '""');
    for (const m of src.matchAll(/(^|[^.\w$])([A-Za-z_$][\w$]*)\s*\(/g)) {
      const name = m[2]!;
      if (!known.has(name) && !GLOBALS.has(name)) missing.push(name);
    }
  }
  return missing;
}

describe('module doc examples', () => {
  it('call only functions that exist', () => {
    const bad: string[] = [];
    const files = ['src', 'sample-data'].flatMap((dir) => sourceFiles(path.join(ROOT, dir)));
    const exported = exportedNames(files);
    {
      for (const f of files) {
        const missing = unknownCalls(f, exported);
        if (missing.length) bad.push(`${path.relative(ROOT, f)}: ${[...new Set(missing)].join(', ')}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
