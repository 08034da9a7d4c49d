/**
 * napari-style layers: each record or prediction shown is a layer with visibility, opacity, colormap and
 * window/level. The same style drives every view the layer appears in.
 *
 *   const layer = layerFor(record);          // style chosen from the record's modality / prediction kind
 *   layer.window = autoContrast(plane.data);
 */
import type { RecordInfo } from './api.js';
import type { ColormapName } from './colormaps.js';

export type LayerRole = 'observed' | 'predicted' | 'uncertainty' | 'ink' | 'labels' | 'mask' | 'surface';

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
  };
  const style = { ...defaults[role], ...saved };
  return {
    key: rec.name,
    record: rec,
    role,
    ...style,
    autoWindow: !saved?.window && (role === 'observed' || role === 'surface' || role === 'predicted'),
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
