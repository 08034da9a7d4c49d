/**
 * `aunn serve --corpus DIR [--port P] [--models DIR] [--import-from DIR ...]`: the app's UI and API on 127.0.0.1
 * for any browser; prints the URL with its token. Jobs use models under --models and ingest only from the
 * --import-from folders (and `<corpus>/incoming`). Ctrl-C stops it (and any job it started).
 *
 *   aunn serve --corpus ./corpus --port 8765
 */
import path from 'node:path';
import { Command } from 'commander';
import { UserError } from '../../core/errors.js';
import { openCorpusForServing } from '../../server/open-corpus.js';
import { startServer } from '../../server/server.js';

export async function run(argv: string[]): Promise<void> {
  const cmd = new Command('aunn serve')
    .description('serve the app UI and its API on 127.0.0.1 (token-protected)')
    .requiredOption('--corpus <dir>', 'corpus folder to show')
    .option('--port <n>', 'port (default: a free one)', '0')
    .option('--models <dir>', 'folder of the model folders jobs may use (default <corpus>/models)')
    .option(
      '--import-from <dir>',
      'a folder whose files the app may ingest (repeatable; default <corpus>/incoming)',
      (v: string, all: string[]) => [...all, path.resolve(v)],
      [] as string[],
    )
    .parse(argv, { from: 'user' });
  const o = cmd.opts<{ corpus: string; port: string; models?: string; importFrom: string[] }>();
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UserError(`--port must be 0..65535, got '${o.port}'`);
  const corpus = await openCorpusForServing(o.corpus);
  let app;
  try {
    app = await startServer({
      corpus,
      port,
      jobs: {
        modelsDir: o.models ? path.resolve(o.models) : undefined,
        importRoots: o.importFrom.length ? [...o.importFrom, path.join(corpus.dir, 'incoming')] : undefined,
      },
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UserError(`port ${port} is in use; pick another with --port or leave it out`);
    throw e;
  }
  console.log(`Scroll AUNN: serving ${corpus.dir} (${corpus.manifest.records.length} records)`);
  console.log(`Open ${app.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void app.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
