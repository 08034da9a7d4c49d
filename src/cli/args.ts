/** Flag parsing shared by the commands: commander with its errors turned into one-line UserErrors (exit 2). */
import { Command } from 'commander';
import { UserError } from '../core/errors.js';

/** Parses `argv` with the command `build` makes; prints the help and returns undefined for --help. */
export function parseArgs(argv: string[], name: string, build: (cmd: Command) => Command): Command | undefined {
  const cmd = build(new Command(name))
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') {
      return undefined; // commander has printed the help
    }
    throw new UserError((e.message ?? String(err)).replace(/^error: /, ''), { exitCode: 2 });
  }
  return cmd;
}
