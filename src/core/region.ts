/** A box of voxels in a record, half-open per axis: [start, end) in z, y and x. */
export interface Region {
  z: [number, number];
  y: [number, number];
  x: [number, number];
}
