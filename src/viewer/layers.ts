/**
 * napari-style layers: each record or prediction shown is a layer with visibility, opacity, colormap and
 * window/level. The same style drives every view the layer appears in.
 *
 *   const layer = layerFor(record);          // style chosen from the record's modality / prediction kind
 *   layer.window = autoContrast(plane.data);
 */
import type { RecordInfo } from './api.js';
import type { ColormapName } from './colormaps.js';

export type LayerRole = 'observed' | 'predicted' | 'uncertainty' | 'ink' | 'labels' | 'mask' | 'photo' | 'surface';

export interface LayerStyle {
  visible: boolean;
  opacity: number;
  colormap: ColormapName;
  /** Window [lo, hi] in stored byte values. */
  window: [number, number];
  /** Values below this are transparent (ink overlays). */
  threshold: number;
}

export interface Layer extends LayerStyle {
  /** Stable key: the record's name. */
  key: string;
  record: RecordInfo;
  role: LayerRole;
  /** Auto-contrast once, when the first data arrives, unless the window was restored from saved state. */
  autoWindow: boolean;
}

export function roleOf(rec: RecordInfo): LayerRole {
  if (rec.modality === 'prediction') {
    const kind = rec.prediction?.kind;
    if (kind === 'uncertainty') return 'uncertainty';
    if (kind === 'ink') return 'ink';
    return 'predicted';
  }
  if (rec.modality === 'ink-labels') return 'labels';
  if (rec.modality === 'mask') return 'mask';
  if (rec.modality === 'photo') return 'photo';
  if (rec.modality === 'segment-layers') return 'surface';
  return 'observed';
}

export function layerFor(rec: RecordInfo, saved?: Partial<LayerStyle>): Layer {
  const role = roleOf(rec);
  const defaults: Record<LayerRole, LayerStyle> = {
    observed: { visible: true, opacity: 1, colormap: 'grey', window: [0, 255], threshold: 0 },
    surface: { visible: true, opacity: 1, colormap: 'grey', window: [0, 255], threshold: 0 },
    predicted: { visible: false, opacity: 1, colormap: 'grey', window: [0, 255], threshold: 0 },
    uncertainty: { visible: false, opacity: 0.6, colormap: 'inferno', window: [0, 255], threshold: 0 },
    ink: { visible: true, opacity: 0.7, colormap: 'ink', window: [0, 255], threshold: 128 },
    labels: { visible: true, opacity: 0.45, colormap: 'labels', window: [0, 255], threshold: 1 },
    mask: { visible: false, opacity: 0.3, colormap: 'labels', window: [0, 255], threshold: 1 },
    // a fragment's infrared photo: ink evidence to compare with the predicted ink, off until asked for
    photo: { visible: false, opacity: 1, colormap: 'grey', window: [0, 255], threshold: 0 },
  };
  const style = { ...defaults[role], ...saved };
  return {
    key: rec.name,
    record: rec,
    role,
    ...style,
    // Contrast is set once from the first data and then kept, so colours mean the same on every slice (the
    // uncertainty too: with the full byte range it opened as a flat wash).
    autoWindow:
      !saved?.window &&
      (role === 'observed' || role === 'surface' || role === 'photo' || role === 'predicted' || role === 'uncertainty'),
  };
}

export function styleOf(layer: Layer): LayerStyle {
  const { visible, opacity, colormap, window, threshold } = layer;
  return { visible, opacity, colormap, window: [...window], threshold };
}

/** Voxel size [z, y, x] in µm of a record at a pyramid level (1 µm when unknown). */
export function voxelSizeAt(rec: RecordInfo, level: number): [number, number, number] {
  const base = rec.voxelSizeUm ?? [1, 1, 1];
  const s0 = rec.levelShapes[0]!;
  const sl = rec.levelShapes[level] ?? s0;
  return [0, 1, 2].map((i) => (base[i]! * s0[i]!) / sl[i]!) as [number, number, number];
}

/**
 * A stored byte in the scan's own units: 16-bit sources were windowed linearly to 0..255 at ingest (the record's
 * `window`, in source units), so byte b stands for lo + b/255·(hi − lo). Without a window the bytes are the values.
 */
export function sourceValue(rec: Pick<RecordInfo, 'window'>, byte: number): number {
  const w = rec.window;
  return w ? w[0] + (byte / 255) * (w[1] - w[0]) : byte;
}

/** A value for the user: the scan's units for intensities, a probability for ink and uncertainty layers. */
export function formatValue(layer: Pick<Layer, 'role' | 'record'>, byte: number): string {
  if (layer.role === 'ink') return (byte / 255).toFixed(2);
  const v = sourceValue(layer.record, byte);
  return Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(3);
}
