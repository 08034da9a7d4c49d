// The house rules of .dependency-cruiser.cjs hold on the real tree and fail on a tree that breaks them on purpose.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function cruise(cwd: string, dirs: string[]): Promise<Violation[]> {
  const { stdout } = await run(BIN, [...dirs, '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    maxBuffer: 64 << 20,
  }).catch(
    // depcruise exits non-zero when it finds violations; the JSON is still on stdout.
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('import rules', () => {
  it('hold on the code', async () => {
    const violations = await cruise(ROOT, ['src', 'app', 'bench', 'sample-data']);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  it('fail on a tree that breaks them', async () => {
    const violations = await cruise(path.join(ROOT, 'test/fixtures/layout-violation'), ['src']);
    const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(found).toContain('no-cli-below: src/corpus/store.ts -> src/cli/errors.ts');
    expect(found).toContain('floor-corpus: src/corpus/store.ts -> src/cli/errors.ts');
    expect(found).toContain('viewer-only-api: src/viewer/panel.ts -> src/model/index.ts');
    expect(found.some((f) => /^model-no-formats: src\/model\/index\.ts -> .*fast-png/.test(f))).toBe(true);
  });
});
