/**
 * Child process for the crash test: ingests three 16-bit volumes (one with an attachment) into the corpus DIR, each
 * slab read taking DELAY_MS, so a parent can SIGKILL it mid-way. Prints "started" once the writer holds the lock.
 *
 *   node --import tsx test/corpus/helpers/slow-ingest.ts DIR DELAY_MS
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Corpus } from '../../../src/corpus/index.js';
import { ingestItems } from '../../../src/ingest/ingest.js';
import { memoryVolume } from '../../../src/ingest/readers/volume-util.js';
import type { IngestItem } from '../../../src/ingest/source.js';

const [dir, delayText] = process.argv.slice(2) as [string, string];
const delay = Number(delayText);
const corpus = await Corpus.open(dir);
const mesh = path.join(dir, '..', `mesh-${process.pid}.obj`);
writeFileSync(mesh, 'v 0 0 0\n');

function item(name: string, shape: [number, number, number], attachments?: Record<string, string>): IngestItem {
  const n = shape[0] * shape[1] * shape[2];
  const values = new Uint16Array(n);
  for (let i = 0; i < n; i++) values[i] = (i * 2654435761) % 60000;
  const inner = memoryVolume(shape, 'uint16', values);
  let announced = false;
  const volume = {
    ...inner,
    async readSlab(z0: number, z1: number) {
      if (!announced) {
        announced = true;
        console.log('started');
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      return inner.readSlab(z0, z1);
    },
  };
  return {
    name,
    scroll: 'crash',
    modality: 'scan',
    volume,
    source: { path: `/mem/${name}`, sha256: 'x', format: 'memory' },
    attachments,
  };
}

await ingestItems(
  corpus,
  [item('a', [40, 64, 64]), item('b', [70, 50, 90], { 'mesh.obj': mesh }), item('c', [30, 130, 20])],
  { slabBytes: 64 * 64 * 2 * 3 },
);
console.log('done');
