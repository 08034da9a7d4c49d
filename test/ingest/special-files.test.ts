// Inputs that would block or never end are refused at once with one line: a FIFO, a device, an oversized text file.
import { execFileSync } from 'node:child_process';
import { openSync, closeSync, ftruncateSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discover } from '../../src/ingest/discover.js';
import { limit } from '../../src/core/limits.js';
import { tempDir } from './fixture-values.js';

describe('special files', () => {
  it('refuses a FIFO and a device instead of blocking on them', async () => {
    const fifo = path.join(tempDir(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    await expect(discover(fifo, { as: 'text' })).rejects.toThrow(/not a regular file or folder/);
    await expect(discover('/dev/zero', { as: 'text' })).rejects.toThrow(/\/dev\/zero: not a regular file or folder/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('refuses a text file over the limit before reading it', async () => {
    const file = path.join(tempDir(), 'huge.txt');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, limit('textBytes') + 1); // sparse: no disk used
    closeSync(fd);
    await expect(discover(file, { as: 'text' })).rejects.toThrow(
      /the text is 64.0 MiB, over the 64.0 MiB limit for one text record; raise it with AUNN_MAX_TEXT_MIB/,
    );
  });
});
