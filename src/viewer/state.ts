/**
 * The UI state saved with the corpus (DIR/view-state.json through the API): tab, chosen records, cursor, layer
 * styles, cameras, segment settings. `update()` merges and saves after a pause, so dragging a slider writes once.
 *
 *   const store = await ViewStore.load(api);
 *   store.update({ tab: 'segment' });
 */
import type { ApiClient } from './api.js';
import { debounce } from './dom.js';
import type { LayerStyle } from './layers.js';
import type { ViewTransform } from './slice-view.js';

export type Tab = 'volume' | 'segment' | 'reading' | 'compare' | 'training';

export interface SavedState {
  tab: Tab;
  /** Base record (a scan) of the volume and compare tabs. */
  base: string;
  /** Crosshair [z, y, x] in the base record's slice-level voxels. */
  cursor: [number, number, number];
  layers: Record<string, Partial<LayerStyle>>;
  views: Record<string, ViewTransform>;
  volume3d: {
    mode: 'mip' | 'dvr';
    source: 'level' | 'crosshair';
    density: number;
    /** Which layer the 3-D view renders (a record name: the scan, its predicted values or uncertainty); the scan by default. */
    layer?: string;
    camera?: { position: number[]; target: number[] };
  };
  segment: { group?: string; layer: number; flip: boolean };
  /** The first-run hint was dismissed. */
  hintDismissed: boolean;
  /** Zoom the three slice views of the volume tab together. */
  linkZoom: boolean;
}

export class ViewStore {
  state: Partial<SavedState>;
  private readonly save: () => void;
  saves = 0;

  private constructor(
    private readonly api: ApiClient,
    initial: Partial<SavedState>,
  ) {
    this.state = initial;
    this.save = debounce(() => {
      this.saves++;
      void this.api.saveViewState(this.state).catch((e) => console.warn('view state not saved:', e));
    }, 800);
  }

  static async load(api: ApiClient): Promise<ViewStore> {
    let initial: Partial<SavedState> = {};
    try {
      initial = await api.viewState<SavedState>();
    } catch (e) {
      console.warn('view state not loaded:', e);
    }
    return new ViewStore(api, initial);
  }

  /** Save now (before a reload). */
  async flush(): Promise<void> {
    this.saves++;
    await this.api.saveViewState(this.state);
  }

  update(patch: Partial<SavedState>): void {
    this.state = { ...this.state, ...patch };
    this.save();
  }
}
