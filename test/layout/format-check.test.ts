// The formatter check in `npm test` can fail: with the repo's prettier config, a badly formatted file is reported and
// the same code formatted passes.
import path from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('format check', () => {
  it('flags a badly formatted file and passes it once formatted', async () => {
    const file = path.join(ROOT, 'src/core/example.ts');
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    expect(options.printWidth).toBe(120);
    const bad = 'export const  x = {a:1,b:"two"}\n';
    expect(await prettier.check(bad, options)).toBe(false);
    const good = await prettier.format(bad, options);
    expect(good).toBe("export const x = { a: 1, b: 'two' };\n");
    expect(await prettier.check(good, options)).toBe(true);
  });
});
