/**
 * The `aunn` command line. Each subcommand lives in its own module under src/cli/commands/ and is loaded
 * only when used, so `aunn info` does not pay for TensorFlow.js start-up.
 *
 *   aunn ingest ./scroll.volpkg --corpus ./corpus
 */
import { UserError } from '../core/errors.js';
import { describeError, describeFileSystemError } from './error-hints.js';

type CommandModule = { run(argv: string[]): Promise<void> };

const COMMANDS: Record<string, { describe: string; load: () => Promise<CommandModule> }> = {
  sample: { describe: 'generate the synthetic sample scroll', load: () => import('./commands/sample.js') },
  ingest: { describe: 'add scans, segments, labels or text to a corpus', load: () => import('./commands/ingest.js') },
  render: {
    describe: "render a tifxyz surface's layers from a scan in the corpus",
    load: () => import('./commands/render.js'),
  },
  info: { describe: 'list the records of a corpus', load: () => import('./commands/info.js') },
  train: { describe: 'train the AUNN over a corpus', load: () => import('./commands/train.js') },
  condition: { describe: 'condition a model on new address+byte pairs', load: () => import('./commands/condition.js') },
  finetune: { describe: 'one-shot finetune a model on a new scroll', load: () => import('./commands/finetune.js') },
  predict: {
    describe: 'write predicted values and uncertainty for a record',
    load: () => import('./commands/predict.js'),
  },
  ink: { describe: 'predict ink on a segment', load: () => import('./commands/ink.js') },
  lm: { describe: 'Greek language model: train, eval, restore', load: () => import('./commands/lm.js') },
  read: { describe: 'read text off predicted ink', load: () => import('./commands/read.js') },
  export: { describe: 'export read text and ink images', load: () => import('./commands/export.js') },
  'export-zarr': {
    describe: 'write a record as OME-Zarr 0.4 / zarr v2',
    load: () => import('./commands/export-zarr.js'),
  },
  serve: { describe: 'serve the app UI on 127.0.0.1', load: () => import('./commands/serve.js') },
  bench: { describe: 'run the benchmarks', load: () => import('./commands/bench.js') },
  demo: { describe: 'run the whole chain on the bundled sample scroll', load: () => import('./commands/demo.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.describe}`);
  return `usage: aunn <command> [options]\n\n${lines.join('\n')}\n\nRun \`aunn <command> --help\` for its options.`;
}

/** `aunn info | head -1`: the reader went away, so stop quietly instead of dying with an EPIPE stack. */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`aunn: unknown command '${name}'\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  try {
    const mod = await command.load();
    await mod.run(rest);
  } catch (err) {
    if (err instanceof UserError) {
      // One clear line for the user; no stack trace for bad input.
      console.error(`aunn ${name}: ${describeError(err)}`);
      process.exitCode = err.exitCode;
      return;
    }
    const fsLine = describeFileSystemError(err);
    if (fsLine) {
      // A file the user named is missing, unreadable, a loop of links...: their input, not a bug.
      console.error(`aunn ${name}: ${fsLine}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
