/**
 * A minimal baseline TIFF writer for one grayscale uint8/uint16 image, little-endian, uncompressed, one strip —
 * the form of the Vesuvius slice and layer files, readable by every TIFF reader (geotiff, utif2, itk, PIL, tifffile).
 * Byte-for-byte deterministic (no date or software tags).
 *
 *   await writeFile('00000.tif', encodeTiff(slice, width, height));   // slice: Uint16Array or Uint8Array
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
  SampleFormat = 339,
}
const SHORT = 3;
const LONG = 4;

export function encodeTiff(data: Uint16Array | Uint8Array, width: number, height: number): Uint8Array {
  if (data.length !== width * height) throw new Error(`encodeTiff: ${data.length} values for a ${width}x${height} image`);
  const bits = data instanceof Uint16Array ? 16 : 8;
  const pixelBytes = width * height * (bits / 8);
  const entries: Array<[Tag, number, number]> = [
    [Tag.ImageWidth, LONG, width],
    [Tag.ImageLength, LONG, height],
    [Tag.BitsPerSample, SHORT, bits],
    [Tag.Compression, SHORT, 1],
    [Tag.Photometric, SHORT, 1], // BlackIsZero
    [Tag.StripOffsets, LONG, 0], // patched below
    [Tag.SamplesPerPixel, SHORT, 1],
    [Tag.RowsPerStrip, LONG, height],
    [Tag.StripByteCounts, LONG, pixelBytes],
    [Tag.PlanarConfiguration, SHORT, 1],
    [Tag.SampleFormat, SHORT, 1], // unsigned integer
  ];
  const ifdOffset = 8;
  const ifdBytes = 2 + entries.length * 12 + 4;
  const dataOffset = ifdOffset + ifdBytes + ((ifdOffset + ifdBytes) % 2); // word-aligned
  const out = new Uint8Array(dataOffset + pixelBytes);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0x4949, false); // 'II'
  view.setUint16(2, 42, true);
  view.setUint32(4, ifdOffset, true);
  view.setUint16(ifdOffset, entries.length, true);
  entries.forEach(([tag, type, value], i) => {
    const at = ifdOffset + 2 + i * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, 1, true);
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
