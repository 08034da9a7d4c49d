/**
 * Open the corpus to serve, with errors that name the folder: the one place the server touches src/corpus.
 *
 *   const corpus = await openCorpusForServing('./corpus');
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { Corpus } from '../corpus/index.js';
import type { CorpusView } from './corpus-view.js';

export async function openCorpusForServing(dir: string): Promise<CorpusView> {
  const abs = path.resolve(dir);
  const manifest = path.join(abs, 'manifest.json');
  try {
    await stat(manifest);
  } catch {
    throw new UserError(
      `${abs} is not a corpus (no manifest.json); create one with \`aunn ingest PATH --corpus ${dir}\``,
    );
  }
  const corpus: CorpusView = await Corpus.open(abs);
  return corpus;
}
