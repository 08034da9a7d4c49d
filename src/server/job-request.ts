/**
 * Builds a job's command line from a typed request (src/api/job-spec.ts), so that every path in it is one the
 * server chose: models under the models folder, exports under `<corpus>/exports`, other files inside the corpus,
 * ingest sources under an import folder or granted by the user (the app's file dialog). Links are resolved before
 * the check, so a symlink inside the corpus cannot point a job outside it. Anything else is a 400 with one line.
 *
 *   const { args } = await buildJobArgs({ command: 'train', options: { model: 'm1', steps: 200 } }, places);
 *   // ['--model', '<corpus>/models/m1', '--steps', '200']
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../core/paths.js';
import {
  JOB_COMMANDS,
  JOB_SPECS,
  optionFlag,
  type JobCommand,
  type JobOptionSpec,
  type JobOptionValue,
  type JobRequest,
} from '../api/index.js';
import { HttpError } from './http-util.js';

export interface JobPlaces {
  corpusDir: string;
  /** Where model folders live (default `<corpus>/models`). */
  modelsDir: string;
  /** Folders whose files may be ingested (default `<corpus>/incoming`). */
  importRoots: readonly string[];
  /** Files and folders the user picked in the app's dialog (Electron): these may be ingested too. */
  granted: ReadonlySet<string>;
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FOLDER_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// Record, segment and scroll names as the corpus writes them (sample-s2/20260105140200, scanA@v1).
const RECORD_NAME = /^[A-Za-z0-9][A-Za-z0-9._@/+-]{0,199}$/;
const REGION = /^\d+:\d+,\d+:\d+,\d+:\d+$/;

function bad(message: string): never {
  throw new HttpError(400, message);
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (for folders not made yet). */
async function realish(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const parent = path.dirname(p);
    if (parent === p) return p;
    return path.join(await realish(parent), path.basename(p));
  }
}

async function confined(root: string, candidate: string, what: string): Promise<string> {
  const realRoot = await realish(root);
  const real = await realish(candidate);
  if (!isInside(realRoot, real)) bad(`${what} resolves outside ${root}`);
  return candidate;
}

function nameValue(key: string, v: string): string {
  if (!RECORD_NAME.test(v) || v.split('/').includes('..')) bad(`job option '${key}': '${v}' is not a record name`);
  return v;
}

function numberValue(key: string, spec: JobOptionSpec, v: JobOptionValue): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) bad(`job option '${key}' must be a number, not '${String(v)}'`);
  if (spec.kind === 'int' && !Number.isInteger(n)) bad(`job option '${key}' must be a whole number, not ${n}`);
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
    bad(`job option '${key}' must be in ${spec.min ?? '-inf'}..${spec.max ?? 'inf'}, not ${n}`);
  return n;
}

/** One option's value as its command-line words (none for an unset flag). */
async function optionWords(key: string, spec: JobOptionSpec, v: JobOptionValue, places: JobPlaces): Promise<string[]> {
  const flag = optionFlag(key);
  if (spec.kind === 'flag') {
    if (v !== true && v !== false && v !== 'true' && v !== 'false') bad(`job option '${key}' is a flag: true or false`);
    return v === true || v === 'true' ? [flag] : [];
  }
  if (spec.kind === 'int' || spec.kind === 'number') return [flag, String(numberValue(key, spec, v))];
  if (typeof v !== 'string') bad(`job option '${key}' must be a string`);
  switch (spec.kind) {
    case 'enum':
      if (!spec.values!.includes(v)) bad(`job option '${key}' must be one of ${spec.values!.join(', ')}, not '${v}'`);
      return [flag, v];
    case 'list': {
      const items = v.split(',').map((s) => s.trim());
      const wrong = items.find((s) => !spec.values!.includes(s));
      if (wrong !== undefined) bad(`job option '${key}': '${wrong}' is not one of ${spec.values!.join(', ')}`);
      return [flag, items.join(',')];
    }
    case 'name':
      return [flag, nameValue(key, v)];
    case 'names':
      return [
        flag,
        v
          .split(',')
          .map((s) => nameValue(key, s.trim()))
          .join(','),
      ];
    case 'region':
      if (!REGION.test(v)) bad(`job option '${key}' must be z0:z1,y0:y1,x0:x1, not '${v}'`);
      return [flag, v];
    case 'model':
      if (!MODEL_NAME.test(v) || v === '.' || v === '..')
        bad(`job option '${key}': '${v}' is not a model name (letters, digits, '.', '_', '-')`);
      return [flag, await confined(places.modelsDir, path.join(places.modelsDir, v), `model '${v}'`)];
    case 'export-folder': {
      const parts = v.split('/');
      if (parts.length > 4 || !parts.every((p) => FOLDER_PART.test(p) && p !== '..'))
        bad(`job option '${key}': '${v}' is not a folder name under exports/`);
      const exportsDir = path.join(places.corpusDir, 'exports');
      return [flag, await confined(places.corpusDir, path.join(exportsDir, ...parts), `export folder '${v}'`)];
    }
    case 'corpus-file': {
      if (v === '' || v.includes('\0')) bad(`job option '${key}' must name a file inside the corpus`);
      const full = path.resolve(places.corpusDir, v);
      if (!isInside(path.resolve(places.corpusDir), full)) bad(`job option '${key}': '${v}' is outside the corpus`);
      await stat(full).catch(() => bad(`job option '${key}': '${v}' does not exist in the corpus`));
      return [flag, await confined(places.corpusDir, full, `'${v}'`)];
    }
    default:
      return bad(`job option '${key}' has an unknown kind`);
  }
}

/** The ingest source: an https URL, or a local path under an import folder or one the user granted. */
async function ingestSource(given: unknown, places: JobPlaces): Promise<string> {
  if (typeof given !== 'string' || given === '' || given.length > 4096 || /[\0\r\n]/.test(given))
    return bad('ingest needs an input: a file or folder, or an https zarr URL');
  let input: string = given;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return bad(`'${input}' is not a URL`);
    }
    if (url.protocol !== 'https:') bad(`only https URLs can be ingested from the app, not ${url.protocol}`);
    return url.href;
  }
  // A relative path is the corpus's own (`incoming/...`, where the app's uploads land).
  if (!path.isAbsolute(input)) {
    if (input.split(/[\\/]/).includes('..')) bad(`ingest input '${input}': '..' in a path`);
    input = path.join(places.corpusDir, input);
  }
  const real = await realpath(input).catch(() => bad(`ingest input '${input}' does not exist`));
  const roots = [...places.importRoots, ...places.granted];
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => undefined);
    if (realRoot && isInside(realRoot, real)) return input;
  }
  return bad(
    `ingest input '${input}' is not in an import folder (${places.importRoots.join(', ')}) nor chosen in the app's file dialog`,
  );
}

/** Checks `body` against JOB_SPECS and returns the accepted request and its command line (without --corpus). */
export async function buildJobArgs(body: unknown, places: JobPlaces): Promise<{ request: JobRequest; args: string[] }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('a job is {command, input?, options?}');
  const b = body as Record<string, unknown>;
  if ('args' in b) bad('jobs take typed options ({command, options}), not a command line');
  const command = b.command;
  if (typeof command !== 'string' || !(JOB_COMMANDS as readonly string[]).includes(command))
    bad(`unknown job command '${String(command)}' (allowed: ${JOB_COMMANDS.join(', ')})`);
  const spec = JOB_SPECS[command as JobCommand];
  const options = b.options ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) bad('job options must be an object');
  const given = options as Record<string, JobOptionValue>;
  const args: string[] = [];
  const request: JobRequest = { command: command as JobCommand, options: {} };
  if (spec.input) {
    request.input = await ingestSource(b.input, places);
    args.push(request.input);
  } else if (b.input !== undefined) bad(`${command} takes no input`);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(spec.options, key))
      bad(`'${key}' is not an option of ${command} (options: ${Object.keys(spec.options).join(', ')})`);
  }
  for (const [key, optSpec] of Object.entries(spec.options)) {
    const v = given[key];
    if (v === undefined || v === null) {
      if (optSpec.required) bad(`${command} needs the option '${key}' (${optSpec.help})`);
      continue;
    }
    args.push(...(await optionWords(key, optSpec, v, places)));
    request.options![key] = v;
  }
  return { request, args };
}
