/**
 * The typed job request of the local API: which options each job command takes, of what kind and in what range.
 * The server builds the command line from a request checked against this table (src/server/job-request.ts), so a
 * token holder can name a model, a segment or an export folder, never a path outside the corpus; the app's forms
 * are drawn from the same table.
 *
 *   const req: JobRequest = { command: 'train', options: { model: 'scroll1', steps: 2000 } };
 *   jobRequestFromArgs('train', ['--model', 'scroll1', '--steps', '2000']); // the same request
 */

/** Commands the app may start. Anything else is refused. */
export const JOB_COMMANDS = ['ingest', 'train', 'finetune', 'predict', 'ink', 'read', 'export', 'condition'] as const;
export type JobCommand = (typeof JOB_COMMANDS)[number];

/**
 * int / number: a finite number in [min, max]. enum: one of `values`; list: comma-separated `values`.
 * name: a record, segment or scroll name (no path). names: comma-separated names. flag: true or absent.
 * region: `z0:z1,y0:y1,x0:x1`. model: a model folder's name, under the models folder. export-folder: a folder's
 * name under `<corpus>/exports`. corpus-file: a path relative to the corpus, to a file that exists there.
 */
export type JobOptionKind =
  'int' | 'number' | 'enum' | 'list' | 'name' | 'names' | 'flag' | 'region' | 'model' | 'export-folder' | 'corpus-file';

export interface JobOptionSpec {
  kind: JobOptionKind;
  help: string;
  required?: boolean;
  min?: number;
  max?: number;
  unit?: string;
  values?: readonly string[];
}

export interface JobCommandSpec {
  help: string;
  /** The positional input (ingest's source: a file or folder the user chose, or an https zarr URL). */
  input?: { help: string };
  options: Readonly<Record<string, JobOptionSpec>>;
}

export type JobOptionValue = string | number | boolean;

export interface JobRequest {
  command: JobCommand;
  input?: string;
  options?: Record<string, JobOptionValue>;
}

const THREADS: JobOptionSpec = { kind: 'int', min: 1, max: 256, help: 'worker threads' };
const STEPS: JobOptionSpec = { kind: 'int', min: 1, max: 100_000_000, unit: 'steps', help: 'optimizer steps' };
const MINUTES: JobOptionSpec = { kind: 'number', min: 0.01, max: 10_080, unit: 'min', help: 'train this long' };
const LR: JobOptionSpec = { kind: 'number', min: 1e-9, max: 10, help: 'peak learning rate' };
const SCHEDULE: JobOptionSpec = {
  kind: 'enum',
  values: ['minibatch', 'serial', 'anneal'],
  help: 'training schedule',
};
const CHECKPOINT: JobOptionSpec = {
  kind: 'number',
  min: 1,
  max: 86_400,
  unit: 's',
  help: 'seconds between checkpoints',
};
const MODEL: JobOptionSpec = { kind: 'model', help: 'model folder (a name, under the models folder)' };
const SEGMENT: JobOptionSpec = {
  kind: 'name',
  required: true,
  help: 'segment: its group (scroll/segment), layers record or segment id',
};
const REGION: JobOptionSpec = { kind: 'region', help: 'a box z0:z1,y0:y1,x0:x1' };

export const JOB_SPECS: Readonly<Record<JobCommand, JobCommandSpec>> = {
  ingest: {
    help: 'add a scan, segment, ink labels or a text to the corpus',
    input: { help: 'a file or folder you chose, or an https zarr URL' },
    options: {
      scroll: { kind: 'name', help: 'scroll the data belongs to' },
      as: { kind: 'enum', values: ['scan', 'segment', 'labels', 'text'], help: 'what the input holds' },
      level: { kind: 'int', min: 0, max: 20, help: 'scale level of a multiscale source' },
      region: {
        kind: 'region',
        help: 'only this box z0:z1,y0:y1,x0:x1 of the level (zarr): a remote volume is not copied whole',
      },
      voxelSize: {
        kind: 'number',
        min: 0.001,
        max: 100_000,
        unit: 'µm',
        help: 'voxel size, for files that do not say it',
      },
      maxDim: { kind: 'int', min: 1, max: 1_000_000, unit: 'voxels', help: 'largest size allowed per axis' },
      addressBits: { kind: 'int', min: 16, max: 52, help: 'address bits of a new corpus' },
    },
  },
  train: {
    help: 'train the AUNN on the corpus (resumes an unfinished run)',
    options: {
      model: { ...MODEL, required: true },
      steps: STEPS,
      minutes: MINUTES,
      schedule: SCHEDULE,
      records: { kind: 'names', help: 'records to train on (default: all trainable)' },
      scroll: { kind: 'name', help: 'train on this scroll only' },
      encoding: { kind: 'enum', values: ['bits', 'bits+physical', 'bits+grid'], help: 'new model: index encoding' },
      width: { kind: 'int', min: 1, max: 8192, help: 'new model: hidden width' },
      depth: { kind: 'int', min: 1, max: 64, help: 'new model: hidden layers' },
      batch: { kind: 'int', min: 1, max: 1_048_576, unit: 'samples', help: 'new model: batch size' },
      persistency: { kind: 'int', min: 1, max: 1000, help: 'new model: optimizer steps on each minibatch' },
      maxMemory: { kind: 'number', min: 1, max: 1_048_576, unit: 'MiB', help: 'training data held in memory' },
      lr: LR,
      threads: THREADS,
      checkpointEvery: CHECKPOINT,
    },
  },
  finetune: {
    help: 'finetune a trained model on a new scroll',
    options: {
      model: { ...MODEL, required: true },
      scroll: { kind: 'name', help: 'the new scroll' },
      steps: STEPS,
      minutes: MINUTES,
      replay: { kind: 'number', min: 0, max: 0.99, help: 'share of each batch replayed from earlier records' },
      lr: LR,
      schedule: SCHEDULE,
      threads: THREADS,
      checkpointEvery: CHECKPOINT,
    },
  },
  predict: {
    help: "write the model's reconstruction of a record into the corpus",
    options: {
      model: { ...MODEL, required: true },
      record: { kind: 'name', help: 'record to reconstruct' },
      region: REGION,
      level: { kind: 'int', min: 0, max: 20, help: 'pyramid level (2^L coarser)' },
      version: { kind: 'int', min: 1, max: 1_000_000, help: 'model version (default: latest)' },
      unseen: { kind: 'int', min: 1, max: 1_000_000, help: 'predict the N addresses after the last record' },
    },
  },
  ink: {
    help: 'predict ink on a segment (trains the ink readout on its labels when needed)',
    options: {
      segment: SEGMENT,
      model: MODEL,
      source: { kind: 'enum', values: ['observed', 'model'], help: 'layers to read' },
      trainLabels: { kind: 'names', help: 'labelled segments to train the readout on' },
      retrain: { kind: 'flag', help: 'train the readout again' },
      seconds: { kind: 'number', min: 1, max: 86_400, unit: 's', help: 'training time limit (a guard)' },
      steps: { ...STEPS, max: 1_000_000 },
      seed: { kind: 'int', min: 1, max: 2 ** 31, help: 'training seed' },
      out: { kind: 'export-folder', help: 'folder under exports/ for the PNG and TIFF' },
      truth: { kind: 'corpus-file', help: 'true ink PNG (inside the corpus) to score against' },
      noWrite: { kind: 'flag', help: 'do not store the ink record' },
    },
  },
  read: {
    help: 'read the Greek text off the predicted ink',
    options: {
      segment: SEGMENT,
      transcription: {
        kind: 'corpus-file',
        help: 'the known text of the labelled region (inside the corpus; the app saves it in transcriptions/)',
      },
      glyphsFrom: { kind: 'name', help: 'learn the glyphs on this labelled segment (for a segment without labels)' },
      correctedLines: {
        kind: 'flag',
        help: 'learn the glyphs from the lines corrected in the Reading tab too (alone, on a segment without labels)',
      },
      align: {
        kind: 'enum',
        values: ['auto', 'rendered', 'cuts'],
        help: 'how the known text is aligned to the labelled lines',
      },
      lm: { kind: 'enum', values: ['off', 'decode', 'condition'], help: 'how the language model is used' },
      lmModel: { kind: 'corpus-file', help: 'neural LM file (inside the corpus)' },
      model: MODEL,
      inkPng: { kind: 'corpus-file', help: 'ink PNG to read instead (inside the corpus)' },
      degrade: { kind: 'flag', help: 'degrade the ink PNG like a prediction' },
      truth: { kind: 'corpus-file', help: 'transcription folder or file (inside the corpus) to score against' },
      beam: { kind: 'int', min: 1, max: 10_000, help: 'beam width of the line decoder' },
      lmWeight: { kind: 'number', min: 0, max: 100, help: 'weight of the LM against the glyph evidence' },
      selfTrain: { kind: 'int', min: 0, max: 20, unit: 'rounds', help: 'rounds of self-training' },
    },
  },
  export: {
    help: 'export the reading (text, Leiden, EpiDoc, images) into exports/',
    options: {
      segment: SEGMENT,
      format: { kind: 'list', values: ['txt', 'leiden', 'epidoc', 'png', 'tiff'], help: 'formats to write' },
      out: { kind: 'export-folder', help: 'folder under exports/' },
      reading: { kind: 'corpus-file', help: 'reading file (inside the corpus)' },
      threshold: { kind: 'number', min: 0, max: 1, help: 'letters below this probability are marked uncertain' },
    },
  },
  condition: {
    help: 'condition the AUNN on the language model (dynamic evaluation)',
    options: {
      model: { ...MODEL, required: true },
      pairs: { kind: 'corpus-file', help: 'pairs file (inside the corpus)' },
      record: { kind: 'name', help: 'record to condition on' },
      region: REGION,
      rule: { kind: 'enum', values: ['backprop', 'delta'], help: 'update rule' },
      steps: { ...STEPS, max: 100_000 },
      lr: LR,
      freezeGrid: { kind: 'flag', help: 'leave the hash grid as it is' },
    },
  },
};

/** `maxDim` -> `--max-dim`. */
export function optionFlag(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The typed request for a command line the user typed (the app's advanced box): `--steps 200 --model m` becomes
 * `{ steps: '200', model: 'm' }`. Throws an Error naming the first word that is not an option of the command.
 * Values stay strings here; the server checks them.
 */
export function jobRequestFromArgs(command: JobCommand, args: readonly string[]): JobRequest {
  const spec = JOB_SPECS[command];
  const byFlag = new Map(Object.keys(spec.options).map((k) => [optionFlag(k), k]));
  const options: Record<string, JobOptionValue> = {};
  let input: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const key = byFlag.get(flag);
    if (key === undefined) {
      if (!a.startsWith('-') && spec.input && input === undefined) {
        input = a;
        continue;
      }
      throw new Error(`'${a}' is not an option of ${command}`);
    }
    if (spec.options[key]!.kind === 'flag') options[key] = true;
    else if (eq > 0) options[key] = a.slice(eq + 1);
    else if (i + 1 < args.length) options[key] = args[++i]!;
    else throw new Error(`${flag} needs a value`);
  }
  return input === undefined ? { command, options } : { command, input, options };
}
