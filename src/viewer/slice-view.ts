/**
 * One 2-D view: a stack of layer planes (R8 textures through a window/level + colormap shader, blended in order)
 * under an orthographic camera, with a crosshair, a scale bar in µm, wheel slicing, zoom (ctrl/shift+wheel or
 * +/-), pan (drag) and a pick/hover callback giving the pixel under the mouse. Renders on demand, never in a loop.
 *
 *   const view = new SliceView(div, { name: 'xy' });
 *   view.setGrid(96, 96, [7.91, 7.91]);
 *   view.setLayer('scan', plane, { visible: true, opacity: 1, colormap: 'grey', window: [0, 255], threshold: 0 }, 0);
 *   view.onPick = (row, col) => ...;
 */
import * as THREE from 'three';
import type { Plane } from './api.js';
import { colormapLUT, type ColormapName } from './colormaps.js';
import type { LayerStyle } from './layers.js';
import { drawScaleBar } from './scale-bar.js';

const VERTEX = /* glsl */ `
varying vec2 vUv;
void main() {
  vUv = uv;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}`;

// Row 0 of the data is the top of the plane; the window maps [lo, hi] to the colormap; values below the threshold
// are transparent (ink overlays, label maps).
const FRAGMENT = /* glsl */ `
precision highp float;
uniform sampler2D u_data;
uniform sampler2D u_lut;
uniform vec2 u_window;
uniform float u_opacity;
uniform float u_threshold;
varying vec2 vUv;
void main() {
  float v = texture2D(u_data, vec2(vUv.x, 1.0 - vUv.y)).r * 255.0;
  if (v < u_threshold) discard;
  float t = clamp((v - u_window.x) / max(u_window.y - u_window.x, 1e-3), 0.0, 1.0);
  vec4 c = texture2D(u_lut, vec2((t * 255.0 + 0.5) / 256.0, 0.5));
  gl_FragColor = vec4(c.rgb, c.a * u_opacity);
}`;

const lutTextures = new Map<ColormapName, THREE.DataTexture>();
export function lutTexture(name: ColormapName): THREE.DataTexture {
  let t = lutTextures.get(name);
  if (!t) {
    t = new THREE.DataTexture(colormapLUT(name), 256, 1, THREE.RGBAFormat, THREE.UnsignedByteType);
    t.magFilter = THREE.LinearFilter;
    t.minFilter = THREE.LinearFilter;
    t.needsUpdate = true;
    lutTextures.set(name, t);
  }
  return t;
}

/** Where a layer's plane lies on the view's grid (grid pixels, may be fractional); default: the whole grid. */
export interface Extent {
  row0: number;
  rows: number;
  col0: number;
  cols: number;
}

interface LayerPlane {
  mesh: THREE.Mesh<THREE.PlaneGeometry, THREE.ShaderMaterial>;
  texture?: THREE.DataTexture;
  plane?: Plane;
  extent?: Extent;
}

export interface ViewTransform {
  zoom: number;
  /** Camera centre in world units (µm). */
  cx: number;
  cy: number;
}

/** How long a click waits to see whether it is half of a double-click. */
const DOUBLE_CLICK_MS = 250;

export class SliceView {
  readonly canvas: HTMLCanvasElement;
  readonly overlay: HTMLCanvasElement;
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.OrthographicCamera(-1, 1, 1, -1, -10, 10);
  private readonly layers = new Map<string, LayerPlane>();
  private readonly crossH: THREE.Line;
  private readonly crossV: THREE.Line;
  private rows = 1;
  private cols = 1;
  private spacing: [number, number] = [1, 1];
  private crosshair?: [number, number];
  private pending = false;
  private dragging?: { x: number; y: number; cx: number; cy: number; moved: boolean };
  private info = '';
  frames = 0;

  /** Click without drag: the pixel (row, col) picked. */
  onPick?: (row: number, col: number) => void;
  /** Mouse over the view: the pixel under it, or undefined when outside the grid. */
  onHover?: (row: number, col: number) => void;
  /** Wheel without modifier: step the slice by ±1 (or ±10 with alt). */
  onSliceStep?: (delta: number) => void;
  /** Zoom or pan changed by the user (for linked views and the saved state). */
  onViewChange?: (t: ViewTransform) => void;
  /** Extra drawing on the 2-D overlay (letters, labels), in screen px given a grid→screen mapping. */
  drawOverlay?: (
    ctx: CanvasRenderingContext2D,
    toScreen: (row: number, col: number) => [number, number],
    pxPerPixel: number,
  ) => void;

  constructor(
    readonly container: HTMLElement,
    readonly opts: { name: string },
  ) {
    container.classList.add('view');
    container.dataset.view = opts.name;
    this.canvas = document.createElement('canvas');
    this.overlay = document.createElement('canvas');
    this.overlay.className = 'overlay';
    container.append(this.canvas, this.overlay);
    this.renderer = new THREE.WebGLRenderer({
      canvas: this.canvas,
      antialias: false,
      preserveDrawingBuffer: true,
      alpha: false,
    });
    this.renderer.setClearColor(0x101014, 1);
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    const lineMat = new THREE.LineBasicMaterial({
      color: 0xffd400,
      transparent: true,
      opacity: 0.85,
      depthTest: false,
    });
    this.crossH = new THREE.Line(
      new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3()]),
      lineMat,
    );
    this.crossV = new THREE.Line(
      new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3()]),
      lineMat,
    );
    for (const l of [this.crossH, this.crossV]) {
      l.renderOrder = 1000;
      l.visible = false;
      this.scene.add(l);
    }
    this.camera.position.z = 5;
    new ResizeObserver(() => this.resize()).observe(container);
    this.bindInput();
    this.resize();
  }

  /** The grid shown: rows × cols pixels of `spacing` = [row, col] µm. Refits the camera when it changes. */
  setGrid(rows: number, cols: number, spacing: [number, number]): void {
    const changed =
      rows !== this.rows || cols !== this.cols || spacing[0] !== this.spacing[0] || spacing[1] !== this.spacing[1];
    this.rows = rows;
    this.cols = cols;
    this.spacing = spacing;
    if (changed) {
      for (const l of this.layers.values()) this.placeMesh(l.mesh, l.extent);
      this.fit();
    }
  }

  get grid(): { rows: number; cols: number; spacing: [number, number] } {
    return { rows: this.rows, cols: this.cols, spacing: this.spacing };
  }

  /**
   * Show `plane` as layer `key` at stacking position `order` with `style`; undefined plane keeps the last data.
   * `extent` places a plane that covers only part of the grid (a prediction of a region); null clears the data.
   */
  setLayer(key: string, plane: Plane | undefined | null, style: LayerStyle, order: number, extent?: Extent): void {
    let l = this.layers.get(key);
    if (!l) {
      const material = new THREE.ShaderMaterial({
        vertexShader: VERTEX,
        fragmentShader: FRAGMENT,
        transparent: true,
        depthTest: false,
        depthWrite: false,
        uniforms: {
          u_data: { value: null },
          u_lut: { value: lutTexture(style.colormap) },
          u_window: { value: new THREE.Vector2(0, 255) },
          u_opacity: { value: 1 },
          u_threshold: { value: 0 },
        },
      });
      l = { mesh: new THREE.Mesh(new THREE.PlaneGeometry(1, 1), material) };
      this.scene.add(l.mesh);
      this.layers.set(key, l);
    }
    if (plane !== undefined) {
      l.extent = extent;
      this.placeMesh(l.mesh, extent);
    }
    if (plane === null) l.plane = undefined;
    if (plane && plane !== l.plane) {
      if (!l.texture || l.texture.image.width !== plane.cols || l.texture.image.height !== plane.rows) {
        l.texture?.dispose();
        l.texture = new THREE.DataTexture(plane.data, plane.cols, plane.rows, THREE.RedFormat, THREE.UnsignedByteType);
        l.texture.magFilter = THREE.NearestFilter;
        l.texture.minFilter = THREE.LinearFilter;
        l.texture.unpackAlignment = 1;
        l.mesh.material.uniforms.u_data!.value = l.texture;
      } else {
        l.texture.image.data = plane.data;
      }
      l.texture.needsUpdate = true;
      l.plane = plane;
    }
    const u = l.mesh.material.uniforms;
    u.u_lut!.value = lutTexture(style.colormap);
    (u.u_window!.value as THREE.Vector2).set(style.window[0], style.window[1]);
    u.u_opacity!.value = style.opacity;
    u.u_threshold!.value = style.threshold;
    l.mesh.visible = style.visible && Boolean(l.plane);
    l.mesh.renderOrder = order;
    this.requestRender();
  }

  /** The data of layer `key` at grid pixel (row, col) (a coarser plane, e.g. a prediction at level 1, is scaled), or undefined. */
  valueAt(key: string, row: number, col: number): number | undefined {
    const l = this.layers.get(key);
    const p = l?.plane;
    if (!p || !l.mesh.visible) return undefined;
    const e = l.extent ?? { row0: 0, rows: this.rows, col0: 0, cols: this.cols };
    const r = Math.floor(((row + 0.5 - e.row0) * p.rows) / e.rows);
    const c = Math.floor(((col + 0.5 - e.col0) * p.cols) / e.cols);
    if (r < 0 || c < 0 || r >= p.rows || c >= p.cols) return undefined;
    return p.data[r * p.cols + c];
  }

  planeOf(key: string): Plane | undefined {
    return this.layers.get(key)?.plane;
  }

  removeLayersExcept(keys: Set<string>): void {
    for (const [k, l] of this.layers) {
      if (keys.has(k)) continue;
      this.scene.remove(l.mesh);
      l.texture?.dispose();
      l.mesh.material.dispose();
      this.layers.delete(k);
    }
    this.requestRender();
  }

  setCrosshair(pos: [number, number] | undefined): void {
    this.crosshair = pos;
    this.requestRender();
  }

  setInfo(text: string): void {
    this.info = text;
    this.requestRender();
  }

  getView(): ViewTransform {
    return { zoom: this.camera.zoom, cx: this.camera.position.x, cy: this.camera.position.y };
  }

  setView(t: ViewTransform): void {
    this.camera.zoom = t.zoom;
    this.camera.position.x = t.cx;
    this.camera.position.y = t.cy;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  /** Magnification: µm of the scan per screen pixel. */
  umPerPixel(): number {
    return (this.camera.top - this.camera.bottom) / this.camera.zoom / Math.max(1, this.canvas.clientHeight);
  }

  /** Zoom (about the view's centre) to `um` µm per screen pixel: linked zoom across views of different extents. */
  setUmPerPixel(um: number): void {
    const zoom = (this.camera.top - this.camera.bottom) / (um * Math.max(1, this.canvas.clientHeight));
    if (!Number.isFinite(zoom) || zoom <= 0 || Math.abs(zoom - this.camera.zoom) < 1e-9) return;
    this.camera.zoom = zoom;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  /** Fit the grid in the view. */
  fit(): void {
    const w = this.cols * this.spacing[1];
    const h = this.rows * this.spacing[0];
    const aspect = this.canvas.clientWidth / Math.max(1, this.canvas.clientHeight) || 1;
    const halfH = Math.max(h / 2, w / 2 / aspect) * 1.04;
    this.camera.top = halfH;
    this.camera.bottom = -halfH;
    this.camera.left = -halfH * aspect;
    this.camera.right = halfH * aspect;
    this.camera.zoom = 1;
    this.camera.position.set(w / 2, -h / 2, 5);
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  requestRender(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.renderNow();
    });
  }

  renderNow(): void {
    if (this.crosshair) {
      const [r, c] = this.crosshair;
      const y = -(r + 0.5) * this.spacing[0];
      const x = (c + 0.5) * this.spacing[1];
      const W = this.cols * this.spacing[1];
      const H = this.rows * this.spacing[0];
      this.crossH.geometry.setFromPoints([new THREE.Vector3(0, y, 1), new THREE.Vector3(W, y, 1)]);
      this.crossV.geometry.setFromPoints([new THREE.Vector3(x, 0, 1), new THREE.Vector3(x, -H, 1)]);
    }
    this.crossH.visible = this.crossV.visible = Boolean(this.crosshair);
    this.renderer.render(this.scene, this.camera);
    this.drawOverlayNow();
    this.frames++;
    this.container.dataset.frames = String(this.frames);
    this.container.dataset.loaded = String([...this.layers.values()].some((l) => l.mesh.visible));
  }

  /** µm per CSS pixel at the current zoom. */
  umPerCssPx(): number {
    return (this.camera.right - this.camera.left) / this.camera.zoom / Math.max(1, this.canvas.clientWidth);
  }

  private drawOverlayNow(): void {
    const dpr = this.renderer.getPixelRatio();
    const w = this.canvas.width;
    const h = this.canvas.height;
    if (this.overlay.width !== w || this.overlay.height !== h) {
      this.overlay.width = w;
      this.overlay.height = h;
    }
    const ctx = this.overlay.getContext('2d')!;
    ctx.clearRect(0, 0, w, h);
    this.paintOverlay(ctx, dpr);
  }

  /** Scale bar, info line and the caller's overlay, on any 2-D context of the canvas's pixel size. */
  paintOverlay(ctx: CanvasRenderingContext2D, dpr: number): void {
    const w = this.canvas.width;
    const h = this.canvas.height;
    if (this.drawOverlay) {
      const toScreen = (row: number, col: number): [number, number] => {
        const v = new THREE.Vector3(col * this.spacing[1], -row * this.spacing[0], 0).project(this.camera);
        return [((v.x + 1) / 2) * w, ((1 - v.y) / 2) * h];
      };
      this.drawOverlay(ctx, toScreen, (this.spacing[1] / this.umPerCssPx()) * dpr);
    }
    drawScaleBar(ctx, w, h, this.umPerCssPx() / dpr, dpr);
    if (this.info) {
      ctx.font = `${12 * dpr}px system-ui, sans-serif`;
      ctx.fillStyle = 'rgba(0,0,0,0.55)';
      const tw = ctx.measureText(this.info).width;
      ctx.fillRect(4 * dpr, 4 * dpr, tw + 8 * dpr, 18 * dpr);
      ctx.fillStyle = '#fff';
      ctx.textBaseline = 'top';
      ctx.fillText(this.info, 8 * dpr, 7 * dpr);
    }
  }

  /** PNG of what the view shows, scale bar included. */
  async screenshot(): Promise<Blob> {
    this.renderNow();
    const out = document.createElement('canvas');
    out.width = this.canvas.width;
    out.height = this.canvas.height;
    const ctx = out.getContext('2d')!;
    ctx.drawImage(this.canvas, 0, 0);
    ctx.drawImage(this.overlay, 0, 0);
    return new Promise((resolve, reject) =>
      out.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/png'),
    );
  }

  private placeMesh(mesh: THREE.Mesh, extent?: Extent): void {
    const e = extent ?? { row0: 0, rows: this.rows, col0: 0, cols: this.cols };
    const w = e.cols * this.spacing[1];
    const h = e.rows * this.spacing[0];
    mesh.scale.set(w, h, 1);
    mesh.position.set(e.col0 * this.spacing[1] + w / 2, -(e.row0 * this.spacing[0] + h / 2), 0);
  }

  private resize(): void {
    const w = this.container.clientWidth;
    const h = this.container.clientHeight;
    if (w === 0 || h === 0) return;
    const view = this.getView();
    const wasFitted = this.camera.right === 1 && this.camera.left === -1;
    this.renderer.setSize(w, h, true);
    this.fit();
    if (!wasFitted && view.zoom !== 1) this.setView(view);
    this.renderNow();
  }

  /** Grid pixel under a mouse event. */
  private worldAt(e: { clientX: number; clientY: number }): THREE.Vector3 {
    const rect = this.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector3(
      ((e.clientX - rect.left) / rect.width) * 2 - 1,
      -((e.clientY - rect.top) / rect.height) * 2 + 1,
      0,
    );
    return ndc.unproject(this.camera);
  }

  private pixelAt(e: MouseEvent): [number, number] {
    const world = this.worldAt(e);
    return [Math.floor(-world.y / this.spacing[0]), Math.floor(world.x / this.spacing[1])];
  }

  /** Zoom by `factor`, about the point under the pointer when given (it stays where it is), else the centre. */
  zoomBy(factor: number, at?: { clientX: number; clientY: number }): void {
    const before = at ? this.worldAt(at) : undefined;
    this.camera.zoom = Math.min(64, Math.max(0.1, this.camera.zoom * factor));
    this.camera.updateProjectionMatrix();
    if (at && before) {
      const after = this.worldAt(at);
      this.camera.position.x += before.x - after.x;
      this.camera.position.y += before.y - after.y;
      this.camera.updateProjectionMatrix();
    }
    this.onViewChange?.(this.getView());
    this.requestRender();
  }

  private bindInput(): void {
    const el = this.overlay;
    el.tabIndex = 0;
    el.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        if (e.ctrlKey || e.shiftKey || e.metaKey) this.zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15, e);
        else this.onSliceStep?.((e.deltaY > 0 ? 1 : -1) * (e.altKey ? 10 : 1));
      },
      { passive: false },
    );
    el.addEventListener('pointerdown', (e) => {
      el.setPointerCapture(e.pointerId);
      this.dragging = {
        x: e.clientX,
        y: e.clientY,
        cx: this.camera.position.x,
        cy: this.camera.position.y,
        moved: false,
      };
    });
    el.addEventListener('pointermove', (e) => {
      if (this.dragging) {
        const dx = e.clientX - this.dragging.x;
        const dy = e.clientY - this.dragging.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) this.dragging.moved = true;
        if (this.dragging.moved) {
          const k = this.umPerCssPx();
          this.camera.position.x = this.dragging.cx - dx * k;
          this.camera.position.y = this.dragging.cy + dy * k;
          this.camera.updateProjectionMatrix();
          this.onViewChange?.(this.getView());
          this.requestRender();
        }
      }
      const [r, c] = this.pixelAt(e);
      if (r >= 0 && c >= 0 && r < this.rows && c < this.cols) this.onHover?.(r, c);
    });
    let dragged = false;
    let pendingPick: ReturnType<typeof setTimeout> | undefined;
    el.addEventListener('pointerup', () => {
      dragged = Boolean(this.dragging?.moved);
      this.dragging = undefined;
    });
    // A click moves the crosshair a moment later, unless it turns out to be the first half of a double-click
    // ("fit"), which must leave the crosshair, and so the other views' slices, where they were.
    el.addEventListener('click', (e) => {
      if (dragged) return;
      clearTimeout(pendingPick);
      if (e.detail >= 2) return;
      const [r, c] = this.pixelAt(e);
      if (r >= 0 && c >= 0 && r < this.rows && c < this.cols)
        pendingPick = setTimeout(() => this.onPick?.(r, c), DOUBLE_CLICK_MS);
    });
    el.addEventListener('dblclick', () => {
      clearTimeout(pendingPick);
      this.fit();
    });
    let lastPointer: { clientX: number; clientY: number } | undefined;
    el.addEventListener('pointermove', (e) => (lastPointer = e));
    el.addEventListener('pointerleave', () => (lastPointer = undefined));
    el.addEventListener('keydown', (e) => {
      if (e.key === '+' || e.key === '=') this.zoomBy(1.25, lastPointer);
      else if (e.key === '-') this.zoomBy(0.8, lastPointer);
      else if (e.key === 'PageUp' || e.key === 'ArrowUp') this.onSliceStep?.(-1);
      else if (e.key === 'PageDown' || e.key === 'ArrowDown') this.onSliceStep?.(1);
    });
  }
}
