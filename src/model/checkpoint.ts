/**
 * Model versions on disk: `<modelDir>/v0001.ckpt`, `v0002.ckpt`, … one file per version holding the config, the
 * weights, the AdamW state, the schedule position, the RNG seed, and the layout of the records it was trained on
 * (the manifest hash). Written atomically (temp file, fsync, rename, fsync of the folder), so `kill -9` at any
 * moment leaves either the previous or the new checkpoint. A corrupt or mismatched file is a UserError naming it and
 * is never overwritten.
 *
 * File: "AUNNCKP1" | u32 header bytes | header JSON | zero pad to 4 | float32 [params | m | v].
 *
 *   const v = latestVersion(dir);                          // 0 when there is none
 *   const ck = readCheckpoint(versionPath(dir, v));       // { header, params, m, v }
 *   writeCheckpoint(versionPath(dir, v + 1), header, state);
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeSync,
  existsSync,
  unlinkSync,
} from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Manifest, RecordMeta } from '../corpus/index.js';
import type { ModelConfig } from './config.js';
import type { ParamEntry } from './network.js';
import { acquireLock, isAlive } from '../core/lock.js';

const MAGIC = 'AUNNCKP1';

/** The run a checkpoint belongs to: enough to resume it exactly where it stopped. */
export interface RunState {
  kind: 'train' | 'finetune' | 'condition';
  startStep: number;
  targetSteps?: number;
  targetMs?: number;
  /** Training time spent in this run so far (resumes count on from here). */
  elapsedMs: number;
  done: boolean;
  /** Names of the records this run trains on, and of those only replayed (finetuning). */
  records: string[];
  replayRecords: string[];
  replayFraction: number;
  schedule: ModelConfig['train']['schedule'];
  lr: number;
  groupLr: ModelConfig['train']['groupLr'];
}

export interface TrainedRecord {
  name: string;
  base: number;
  bits: [number, number, number];
  shape: [number, number, number];
}

export interface HistoryPoint {
  step: number;
  seconds: number;
  loss: number;
  heldOutPsnr?: number;
}

export interface CheckpointHeader {
  format: 'aunn-checkpoint';
  version: 1;
  modelVersion: number;
  parent?: number;
  config: ModelConfig;
  layout: ParamEntry[];
  /** Optimizer updates applied so far (all runs). */
  step: number;
  samplesSeen: number;
  schedule: { serialPos: number; windowStep: number };
  rng: { seed: number };
  run: RunState;
  manifestHash: string;
  trainedRecords: TrainedRecord[];
  heldOutPsnr?: number;
  perRecordPsnr?: Record<string, number>;
  history: HistoryPoint[];
  backend?: string;
  createdAt: string;
  blobFloats: number;
  blobSha256: string;
}

export interface CheckpointState {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

export function versionPath(dir: string, version: number): string {
  return path.join(dir, `v${String(version).padStart(4, '0')}.ckpt`);
}

/** Model versions present in dir, ascending. */
export function listVersions(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^v(\d{4,})\.ckpt$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/**
 * Removes the temp files of checkpoint writes that never finished (`vNNNN.ckpt.tmp-PID-…`, left by a process killed
 * during the write) whose process is gone; returns the names removed.
 */
export function removeStaleCheckpointTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const f of readdirSync(dir)) {
    const m = /^v\d{4,}\.ckpt\.tmp-(\d+)-/.exec(f);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    unlinkSync(path.join(dir, f));
    removed.push(f);
  }
  return removed;
}

/**
 * Runs `fn` holding the model folder's lock (DIR/.lock, like the corpus's), so two processes never write versions into
 * one folder at once; the second is refused with one line naming the first's pid.
 */
export async function withModelLock<T>(modelDir: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(modelDir, { recursive: true });
  const release = await acquireLock(modelDir, 1500, 'model folder');
  try {
    return await fn();
  } finally {
    await release();
  }
}

export function latestVersion(dir: string): number {
  const v = listVersions(dir);
  return v.length ? v[v.length - 1] : 0;
}

export function recordLayout(records: readonly RecordMeta[]): TrainedRecord[] {
  return records.map((r) => ({ name: r.name, base: r.base, bits: [...r.bits], shape: [...r.shape] }));
}

export function layoutHash(records: readonly TrainedRecord[]): string {
  return createHash('sha256')
    .update(JSON.stringify(records.map((r) => [r.name, r.base, r.bits, r.shape])))
    .digest('hex');
}

/** UserError when a record the model was trained on is missing from the manifest or moved/resized. */
export function checkManifest(
  file: string,
  header: Pick<CheckpointHeader, 'trainedRecords'>,
  manifest: Manifest,
): void {
  const byName = new Map(manifest.records.map((r) => [r.name, r]));
  for (const t of header.trainedRecords) {
    const r = byName.get(t.name);
    if (!r)
      throw new UserError(
        `${file}: this model was trained on record '${t.name}', which the corpus does not have (wrong corpus?)`,
        { file, record: t.name, options: ['corpusDir'] },
      );
    if (r.base !== t.base || r.bits.join() !== t.bits.join() || r.shape.join() !== t.shape.join())
      throw new UserError(
        `${file}: record '${t.name}' has a different address layout in this corpus than when the model was trained (base ${t.base} → ${r.base}); use a new model folder`,
        { file, record: t.name, options: ['modelDir'] },
      );
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some filesystems do not fsync directories
  }
}

/** Writes bytes to file atomically: temp file in the same folder, fsync, rename, fsync folder. */
export function writeFileAtomic(file: string, chunks: Uint8Array[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

export function writeCheckpoint(
  file: string,
  header: Omit<CheckpointHeader, 'blobFloats' | 'blobSha256'>,
  state: CheckpointState,
): CheckpointHeader {
  const n = state.params.length;
  const blob = new Float32Array(3 * n);
  blob.set(state.params, 0);
  blob.set(state.m, n);
  blob.set(state.v, 2 * n);
  const blobBytes = new Uint8Array(blob.buffer);
  const full: CheckpointHeader = {
    ...header,
    blobFloats: blob.length,
    blobSha256: createHash('sha256').update(blobBytes).digest('hex'),
  };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const pad = (4 - ((8 + 4 + json.length) % 4)) % 4;
  const head = new Uint8Array(8 + 4 + json.length + pad);
  head.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(head.buffer).setUint32(8, json.length, true);
  head.set(json, 12);
  writeFileAtomic(file, [head, blobBytes]);
  return full;
}

function corrupt(file: string, why: string): never {
  throw new UserError(
    `${file}: not a valid AUNN checkpoint (${why}); it was left untouched — move it away or use another model folder`,
    { file, options: ['modelDir'] },
  );
}

/** Reads the header only (cheap: no hashing of the weights). */
export function readCheckpointHeader(file: string): { header: CheckpointHeader; bytes: Buffer; blobOffset: number } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UserError(`${file}: cannot read checkpoint (${(e as Error).message})`);
  }
  if (bytes.length < 12 || bytes.subarray(0, 8).toString('latin1') !== MAGIC) corrupt(file, 'bad magic');
  const len = bytes.readUInt32LE(8);
  if (12 + len > bytes.length) corrupt(file, 'truncated header');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(bytes.subarray(12, 12 + len).toString('utf8')) as CheckpointHeader;
  } catch {
    corrupt(file, 'header is not JSON');
  }
  if (header.format !== 'aunn-checkpoint' || header.version !== 1)
    corrupt(file, `format ${header.format} v${header.version}`);
  const blobOffset = 12 + len + ((4 - ((12 + len) % 4)) % 4);
  return { header, bytes, blobOffset };
}

export function readCheckpoint(file: string): { header: CheckpointHeader } & CheckpointState {
  const { header, bytes, blobOffset } = readCheckpointHeader(file);
  const blobBytes = bytes.subarray(blobOffset);
  if (blobBytes.length !== header.blobFloats * 4)
    corrupt(file, `weights truncated: ${blobBytes.length} of ${header.blobFloats * 4} bytes`);
  if (createHash('sha256').update(blobBytes).digest('hex') !== header.blobSha256)
    corrupt(file, 'weights checksum mismatch');
  const blob = new Float32Array(header.blobFloats);
  new Uint8Array(blob.buffer).set(blobBytes);
  const n = header.blobFloats / 3;
  const total = header.layout.reduce((s, e) => s + e.size, 0);
  if (n !== total) corrupt(file, `weights hold ${n} values, layout ${total}`);
  return { header, params: blob.subarray(0, n), m: blob.subarray(n, 2 * n), v: blob.subarray(2 * n) };
}
