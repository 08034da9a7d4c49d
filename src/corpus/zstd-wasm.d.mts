/** Types of zstd-wasm.mjs (plain JS, shared by the codec threads and the calling thread). */
export function zstdReady(): Promise<void>;
export function zstdCompress(data: Uint8Array, level: number): Promise<Uint8Array>;
export function zstdCompressSync(data: Uint8Array, level: number): Uint8Array;
export function zstdDecompress(data: Uint8Array, expected: number): Promise<Uint8Array>;
export function bloscIsZstd(data: Uint8Array): boolean;
export function bloscDecompress(data: Uint8Array, expected: number): Promise<Uint8Array>;
export type CodecOp = 'encode' | 'decode' | 'decode-blosc';
export function codecOp(
  op: CodecOp,
  data: Uint8Array,
  expected: number | undefined,
  level: number,
): Promise<Uint8Array>;
