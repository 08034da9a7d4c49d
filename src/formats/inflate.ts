/**
 * zlib / gzip decompression that stops at a size: a small stream that would expand past `max` bytes (a
 * decompression bomb) is refused with TooLarge before the rest is inflated.
 *
 *   const pixels = inflateAtMost(strip, expected, 'zlib', 'the strip');   // throws TooLarge past `expected`
 */
import { gunzipSync, inflateSync } from 'node:zlib';

export class TooLarge extends Error {}

export function inflateAtMost(data: Uint8Array, max: number, format: 'zlib' | 'gzip', what: string): Uint8Array {
  try {
    const out = (format === 'zlib' ? inflateSync : gunzipSync)(data, { maxOutputLength: max });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new TooLarge(`decompresses to more than ${what}`, { cause: err });
    throw err;
  }
}
