/**
 * Open the corpus to serve, with errors that name the folder: the one place the server touches src/corpus. A new
 * or empty folder becomes an empty corpus (the app starts from nothing: Add data fills it); a folder that holds
 * other things is refused, so the app never writes its files among someone's papers.
 *
 *   const corpus = await openCorpusForServing('./corpus');   // creates ./corpus when it is missing or empty
 */
import path from 'node:path';
import { Corpus } from '../corpus/index.js';
import type { CorpusView } from './corpus-view.js';

export async function openCorpusForServing(dir: string): Promise<CorpusView> {
  const corpus: CorpusView = await Corpus.open(path.resolve(dir), { create: true });
  return corpus;
}
