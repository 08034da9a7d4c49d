/** The sample types the readers hand on: 8- or 16-bit unsigned voxels. */
export type SourceDtype = 'uint8' | 'uint16';
export type Voxels = Uint8Array | Uint16Array;
