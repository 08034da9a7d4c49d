/**
 * The project's one TIFF writer: a baseline image, little-endian, uncompressed, one strip — grayscale uint8/uint16
 * (the form of the Vesuvius slice and layer files) or 8-bit RGBA (exported pictures). Readable by every TIFF reader
 * (geotiff, utif2, itk, PIL, tifffile). Byte-for-byte deterministic (no date or software tags).
 *
 *   await writeFile('00000.tif', encodeTiff(slice, width, height));   // slice: Uint16Array or Uint8Array
 *   await writeFile('column.tif', encodeTiff(rgba, width, height, 4)); // rgba: Uint8Array, 4 bytes a pixel
 */

const enum Tag {
  ImageWidth = 256,
  ImageLength = 257,
  BitsPerSample = 258,
  Compression = 259,
  Photometric = 262,
  StripOffsets = 273,
  SamplesPerPixel = 277,
  RowsPerStrip = 278,
  StripByteCounts = 279,
  PlanarConfiguration = 284,
  ExtraSamples = 338,
  SampleFormat = 339,
}
const SHORT = 3;
const LONG = 4;

export function encodeTiff(
  data: Uint16Array | Uint8Array,
  width: number,
  height: number,
  channels: 1 | 4 = 1,
): Uint8Array {
  if (data.length !== width * height * channels) {
    throw new Error(`encodeTiff: ${data.length} values for a ${width}x${height}x${channels} image`);
  }
  if (channels === 4 && data instanceof Uint16Array)
    throw new Error('encodeTiff: RGBA is written with 8 bits a sample');
  const bits = data instanceof Uint16Array ? 16 : 8;
  const pixelBytes = width * height * channels * (bits / 8);
  // With 4 samples, BitsPerSample and SampleFormat are 4 SHORTs (8 bytes): too long for the entry, so they point
  // past the IFD.
  const entries: Array<[Tag, number, number, number]> = [
    [Tag.ImageWidth, LONG, 1, width],
    [Tag.ImageLength, LONG, 1, height],
    [Tag.BitsPerSample, SHORT, channels, bits],
    [Tag.Compression, SHORT, 1, 1],
    [Tag.Photometric, SHORT, 1, channels === 4 ? 2 : 1], // RGB or BlackIsZero
    [Tag.StripOffsets, LONG, 1, 0], // patched below
    [Tag.SamplesPerPixel, SHORT, 1, channels],
    [Tag.RowsPerStrip, LONG, 1, height],
    [Tag.StripByteCounts, LONG, 1, pixelBytes],
    [Tag.PlanarConfiguration, SHORT, 1, 1],
    ...(channels === 4 ? [[Tag.ExtraSamples, SHORT, 1, 2] as [Tag, number, number, number]] : []), // unassociated alpha
    [Tag.SampleFormat, SHORT, channels, 1], // unsigned integer
  ];
  const ifdOffset = 8;
  const ifdBytes = 2 + entries.length * 12 + 4;
  const bitsOffset = ifdOffset + ifdBytes;
  const extraBytes = channels === 4 ? 16 : 0;
  const dataOffset = bitsOffset + extraBytes + ((bitsOffset + extraBytes) % 2); // word-aligned
  const out = new Uint8Array(dataOffset + pixelBytes);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0x4949, false); // 'II'
  view.setUint16(2, 42, true);
  view.setUint32(4, ifdOffset, true);
  view.setUint16(ifdOffset, entries.length, true);
  let nextExtra = bitsOffset;
  entries.forEach(([tag, type, count, value], i) => {
    const at = ifdOffset + 2 + i * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, count, true);
    if (count > 1) {
      view.setUint32(at + 8, nextExtra, true);
      for (let c = 0; c < count; c++) view.setUint16(nextExtra + 2 * c, value, true);
      nextExtra += 2 * count;
      return;
    }
    const v = tag === Tag.StripOffsets ? dataOffset : value;
    if (type === SHORT) view.setUint16(at + 8, v, true);
    else view.setUint32(at + 8, v, true);
  });
  view.setUint32(ifdOffset + 2 + entries.length * 12, 0, true); // no next IFD
  if (bits === 16) {
    for (let i = 0; i < data.length; i++) view.setUint16(dataOffset + 2 * i, data[i]!, true);
  } else {
    out.set(data, dataOffset);
  }
  return out;
}
