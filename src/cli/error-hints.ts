/**
 * The CLI's words for the floors' errors: a UserError names the options a fix involves by their API names and may carry
 * a next step; here they become the flags and commands a terminal user types.
 *
 *   describeError(new UserError('no corpus given', { options: ['corpusDir'] }))   // 'no corpus given (--corpus DIR)'
 */
import type { UserError } from '../core/errors.js';

/** API option name -> the flag that sets it. */
const FLAGS: Record<string, string> = {
  corpusDir: '--corpus DIR',
  modelDir: '--model DIR',
  retrain: '--retrain',
  trainGroups: '--train-labels',
  minutes: '--minutes M',
  steps: '--steps N',
  window: '--window LO,HI',
  maxDim: '--max-dim',
  scroll: '--scroll',
  as: '--as',
};

export function describeError(err: UserError): string {
  const { options, hint, file, segment } = err.context;
  let message = err.message;
  const flags = (options ?? []).map((o) => FLAGS[o] ?? o);
  if (flags.length) message += ` (${flags.join(' or ')})`;
  if (hint === 'create-corpus') message += `; create one with \`aunn ingest PATH --corpus ${file ?? 'DIR'}\``;
  if (hint === 'read-first') message += `; run \`aunn read --corpus ${file ?? 'DIR'} --segment ${segment ?? 'S'}\``;
  // One line whatever the message holds (a file name with a newline, say).
  return message.replace(/[\r\n]+/g, ' ');
}

/** What a file-system error on a path means, in the user's words. */
const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ELOOP: 'a loop of symbolic links',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'a folder where a file was expected',
  EEXIST: 'already exists and is not a folder',
  ENAMETOOLONG: 'the name is too long',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
};

/** One line for a Node file-system error that names a path (err.code + err.path), or undefined for anything else. */
export function describeFileSystemError(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || typeof e.path !== 'string') return undefined;
  const reason = FS_REASONS[e.code];
  if (!reason) return undefined;
  return `${e.path}: ${reason}`.replace(/[\r\n]+/g, ' ');
}
