import { describe, expect, it } from 'vitest';
import { downsampleVolume, halveShape } from '../../src/corpus/pyramid.js';

/** The 2× mean by its definition: every output voxel the rounded mean of the input voxels it covers. */
function reference(data: Uint8Array, shape: [number, number, number]): Uint8Array {
  const [d, h, w] = shape;
  const [dz, dy, dx] = halveShape(shape);
  const out = new Uint8Array(dz * dy * dx);
  const span = (n: number, i: number) => (n > 1 ? [2 * i, Math.min(n, 2 * i + 2)] : [0, 1]);
  for (let z = 0; z < dz; z++)
    for (let y = 0; y < dy; y++)
      for (let x = 0; x < dx; x++) {
        let sum = 0,
          count = 0;
        const [z0, z1] = span(d, z),
          [y0, y1] = span(h, y),
          [x0, x1] = span(w, x);
        for (let a = z0!; a < z1!; a++)
          for (let b = y0!; b < y1!; b++)
            for (let c = x0!; c < x1!; c++) {
              sum += data[(a * h + b) * w + c]!;
              count++;
            }
        out[(z * dy + y) * dx + x] = Math.floor((sum + (count >> 1)) / count);
      }
  return out;
}

describe('the 2× mean pyramid', () => {
  // widths that take the word path (multiples of 4), the pair path (even) and odd edges; odd depths and heights
  for (const shape of [
    [4, 6, 8],
    [5, 7, 12],
    [3, 5, 10],
    [3, 4, 7],
    [1, 9, 16],
    [6, 1, 1],
  ] as Array<[number, number, number]>) {
    it(`matches the definition on ${shape.join('×')}`, () => {
      let s = 12345;
      const data = Uint8Array.from({ length: shape[0] * shape[1] * shape[2] }, () => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return s >>> 24;
      });
      const got = downsampleVolume(data, shape);
      expect(got.shape).toEqual(halveShape(shape));
      expect(Array.from(got.data)).toEqual(Array.from(reference(data, shape)));
    });
  }
});
