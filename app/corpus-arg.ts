/**
 * `--corpus DIR` or `--corpus=DIR` from a command line (Electron's and `npm start`'s).
 *
 *   corpusFromArgv(['--corpus', './corpus'])   // './corpus'
 */
export function corpusFromArgv(argv: string[]): string | undefined {
  const i = argv.indexOf('--corpus');
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith('--corpus='))?.slice('--corpus='.length);
}
