/**
 * Child process for the lock test: opens the corpus DIR, takes the writer lock, prints "locked" and waits to be
 * killed (or 60 s).   node --import tsx test/corpus/helpers/hold-lock.ts DIR
 */
import { Corpus } from '../../../src/corpus/index.js';

const corpus = await Corpus.open(process.argv[2]!);
await corpus.withWriter(async () => {
  console.log('locked');
  await new Promise((resolve) => setTimeout(resolve, 60_000));
});
