/**
 * Every cap on what an input may make us allocate or wait for, in one place, each with the environment variable
 * that raises it. Readers name the limit in their refusal, so a user with a real 2 GiB chunk knows what to set:
 *
 *   if (bytes > limit('chunkBytes')) throw new UserError(`${file}: ${overLimit('chunkBytes', bytes)}`);
 *   // "would decode to 1.0 GiB, over the 256 MiB limit for one chunk; raise it with AUNN_MAX_CHUNK_MIB"
 */

interface LimitSpec {
  /** The default, in `unit`s. */
  value: number;
  unit: 'MiB' | 'ms' | 'voxels' | 'x';
  /** What the limit is for, as the message says it. */
  what: string;
  /** The environment variable that overrides it (in `unit`s), or the flag. */
  raise: string;
}

export const LIMITS = {
  /** Decoded bytes of one zarr chunk (the chunk shape times the sample size, checked before decoding). */
  chunkBytes: { value: 256, unit: 'MiB', what: 'one chunk', raise: 'AUNN_MAX_CHUNK_MIB' },
  /** One text file ingested as a record (read whole). */
  textBytes: { value: 64, unit: 'MiB', what: 'one text record', raise: 'AUNN_MAX_TEXT_MIB' },
  /** Voxels along any one axis of a volume (also `--max-dim`). */
  dim: { value: 65536, unit: 'voxels', what: 'one axis', raise: '--max-dim' },
  /** Deflate cannot shrink data by more than about 1032:1: a header claiming more voxel bytes per file byte lies. */
  compressionRatio: { value: 1032, unit: 'x', what: 'compression', raise: 'no setting (a property of deflate)' },
  /** One HTTP request of a remote zarr, headers and body. */
  httpTimeoutMs: { value: 60_000, unit: 'ms', what: 'one HTTP request', raise: 'AUNN_HTTP_TIMEOUT_MS' },
} as const satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof LIMITS;

const UNIT_SCALE = { MiB: 2 ** 20, ms: 1, voxels: 1, x: 1 } as const;

/** The limit in bytes (MiB limits), ms or voxels: the environment's override if it is a positive number. */
export function limit(name: LimitName): number {
  const spec: LimitSpec = LIMITS[name];
  const env = spec.raise.startsWith('AUNN_') ? Number(process.env[spec.raise]) : NaN;
  return (Number.isFinite(env) && env > 0 ? env : spec.value) * UNIT_SCALE[spec.unit];
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** "would decode to 1.0 GiB, over the 256 MiB limit for one chunk; raise it with AUNN_MAX_CHUNK_MIB". */
export function overLimit(name: 'chunkBytes' | 'textBytes', bytes: number, verb = 'would decode to'): string {
  const spec: LimitSpec = LIMITS[name];
  return `${verb} ${formatBytes(bytes)}, over the ${formatBytes(limit(name))} limit for ${spec.what}; raise it with ${spec.raise}`;
}
