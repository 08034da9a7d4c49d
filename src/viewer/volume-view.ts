/**
 * The 3-D view: GPU raymarching of a Data3DTexture (MIP or DVR with a transfer function from the layer's window and
 * colormap) of one region or pyramid level the server sent, with the segment mesh drawn in it and orbit controls.
 * Renders on demand; the volume is never larger than the server's region limit.
 *
 *   const v = new VolumeView(div);
 *   v.setVolume(await api.region(id, 1));          // { shape, data, level, offset }
 *   v.setStyle({ mode: 'dvr', window: [40, 220], colormap: 'inferno' });
 *   v.setMesh(objText, { scale: 0.5, offset: [0, 0, 0] });
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { OBJLoader } from 'three/examples/jsm/loaders/OBJLoader.js';
import type { Volume } from './api.js';
import type { ColormapName } from './colormaps.js';
import { lutTexture } from './slice-view.js';
import { VolumeRaymarchShader } from './volume-shader.js';
import { drawScaleBar } from './scale-bar.js';

export interface VolumeStyle {
  mode: 'mip' | 'dvr';
  window: [number, number];
  colormap: ColormapName;
  density: number;
}

export class VolumeView {
  readonly canvas: HTMLCanvasElement;
  readonly overlay: HTMLCanvasElement;
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(40, 1, 0.1, 100000);
  private readonly controls: OrbitControls;
  private box?: THREE.Mesh<THREE.BoxGeometry, THREE.ShaderMaterial>;
  private texture?: THREE.Data3DTexture;
  private meshGroup?: THREE.Group;
  private meshSource?: string;
  private meshVisible = true;
  private volume?: Volume;
  private pending = false;
  private umPerVoxel = 1;
  style: VolumeStyle = { mode: 'mip', window: [0, 255], colormap: 'grey', density: 1 };
  frames = 0;
  /** Name of the data shown (the layer's record), for the page and its tests. */
  private label = '';
  onCameraChange?: () => void;

  constructor(readonly container: HTMLElement) {
    container.classList.add('view');
    container.dataset.view = '3d';
    this.canvas = document.createElement('canvas');
    this.overlay = document.createElement('canvas');
    this.overlay.className = 'overlay passive';
    container.append(this.canvas, this.overlay);
    this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: false, preserveDrawingBuffer: true });
    this.renderer.setClearColor(0x000000, 1);
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.camera.up.set(0, 0, 1);
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.addEventListener('change', () => {
      this.requestRender();
      this.onCameraChange?.();
    });
    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
  }

  /** Replace the volume (a region or a whole pyramid level). `umPerVoxel` sizes the scale bar. */
  setVolume(volume: Volume, umPerVoxel = 1, label = ''): void {
    this.label = label;
    const sameShape =
      this.volume && this.box && this.texture && this.volume.shape.every((n, i) => n === volume.shape[i]);
    this.volume = volume;
    this.umPerVoxel = umPerVoxel;
    const [Z, Y, X] = volume.shape;
    this.container.dataset.volume = volume.shape.join('x');
    if (sameShape) {
      // Same box (e.g. the crosshair moved): swap the texels, keep the material and its compiled program.
      this.texture!.image.data = volume.data;
      this.texture!.needsUpdate = true;
      this.requestRender();
      return;
    }
    this.texture?.dispose();
    this.texture = new THREE.Data3DTexture(volume.data, X, Y, Z);
    this.texture.format = THREE.RedFormat;
    this.texture.type = THREE.UnsignedByteType;
    this.texture.minFilter = this.texture.magFilter = THREE.LinearFilter;
    this.texture.unpackAlignment = 1;
    this.texture.needsUpdate = true;
    if (this.box) {
      this.scene.remove(this.box);
      this.box.geometry.dispose();
      this.box.material.dispose();
    }
    const material = new THREE.ShaderMaterial({
      uniforms: THREE.UniformsUtils.clone(VolumeRaymarchShader.uniforms),
      vertexShader: VolumeRaymarchShader.vertexShader,
      fragmentShader: VolumeRaymarchShader.fragmentShader,
      side: THREE.BackSide,
    });
    material.uniforms.u_data!.value = this.texture;
    (material.uniforms.u_size!.value as THREE.Vector3).set(X, Y, Z);
    const geometry = new THREE.BoxGeometry(X, Y, Z);
    geometry.translate(X / 2 - 0.5, Y / 2 - 0.5, Z / 2 - 0.5);
    this.box = new THREE.Mesh(geometry, material);
    this.scene.add(this.box);
    this.applyStyle();
    this.resetCamera();
  }

  setStyle(style: Partial<VolumeStyle>): void {
    this.style = { ...this.style, ...style };
    this.applyStyle();
  }

  /** Draw an OBJ mesh given in level-0 voxel coordinates (x y z) of the scan: scaled by 2^-level, shifted by the region offset. */
  setMesh(objText: string | undefined, level = 0): void {
    if (!objText || !this.volume) {
      if (this.meshGroup) this.scene.remove(this.meshGroup);
      this.meshGroup = undefined;
      this.meshSource = undefined;
      return this.requestRender();
    }
    if (objText !== this.meshSource || !this.meshGroup) {
      // Parse once (a dense mesh takes a while); later calls only move and scale it.
      if (this.meshGroup) this.scene.remove(this.meshGroup);
      const group = new OBJLoader().parse(objText);
      // A coarse mesh reads best as a wireframe; a dense one (thousands of faces) as a faint surface.
      group.traverse((o) => {
        if ((o as THREE.Mesh).isMesh) {
          const m = o as THREE.Mesh;
          const faces = (m.geometry.getAttribute('position')?.count ?? 0) / 3;
          const dense = faces > 4000;
          m.material = new THREE.MeshBasicMaterial({
            color: 0x33ddff,
            wireframe: !dense,
            transparent: true,
            opacity: dense ? 0.07 : 0.6,
            depthTest: false,
            depthWrite: false,
            side: THREE.DoubleSide,
          });
          m.renderOrder = 10;
        }
      });
      this.meshGroup = group;
      this.meshSource = objText;
      this.scene.add(group);
    }
    this.meshGroup.visible = this.meshVisible;
    const [oz, oy, ox] = this.volume.offset;
    this.meshGroup.scale.setScalar(1 / 2 ** level);
    this.meshGroup.position.set(-ox, -oy, -oz);
    this.requestRender();
  }

  /** Show or hide the segment mesh. */
  setMeshVisible(visible: boolean): void {
    this.meshVisible = visible;
    if (this.meshGroup) this.meshGroup.visible = visible;
    this.requestRender();
  }

  getCamera(): { position: number[]; target: number[] } {
    return { position: this.camera.position.toArray(), target: this.controls.target.toArray() };
  }

  setCamera(c: { position: number[]; target: number[] }): void {
    this.camera.position.fromArray(c.position);
    this.controls.target.fromArray(c.target);
    this.controls.update();
    this.requestRender();
  }

  resetCamera(): void {
    if (!this.volume) return;
    const [Z, Y, X] = this.volume.shape;
    const r = Math.hypot(X, Y, Z);
    this.controls.target.set(X / 2, Y / 2, Z / 2);
    this.camera.position.set(X / 2 + r * 0.9, Y / 2 - r * 1.1, Z / 2 + r * 0.8);
    this.camera.near = r / 100;
    this.camera.far = r * 10;
    this.camera.updateProjectionMatrix();
    this.controls.update();
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
    this.renderer.render(this.scene, this.camera);
    this.frames++;
    this.container.dataset.frames = String(this.frames);
    this.container.dataset.loaded = String(Boolean(this.volume));
    this.container.dataset.layer = this.label; // what the last frame showed (tests wait on it)
    const ctx = this.overlay.getContext('2d')!;
    if (this.overlay.width !== this.canvas.width || this.overlay.height !== this.canvas.height) {
      this.overlay.width = this.canvas.width;
      this.overlay.height = this.canvas.height;
    }
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    this.paintOverlay(ctx, this.renderer.getPixelRatio());
  }

  /** Approximate scale at the focus distance, and the mode. */
  paintOverlay(ctx: CanvasRenderingContext2D, dpr: number): void {
    const dist = this.camera.position.distanceTo(this.controls.target);
    const visibleH = 2 * dist * Math.tan(THREE.MathUtils.degToRad(this.camera.fov / 2));
    const umPerCssPx = (visibleH * this.umPerVoxel) / Math.max(1, this.canvas.clientHeight);
    drawScaleBar(ctx, this.canvas.width, this.canvas.height, umPerCssPx / dpr, dpr);
    ctx.font = `${12 * dpr}px system-ui, sans-serif`;
    ctx.fillStyle = '#fff';
    ctx.textBaseline = 'top';
    const v = this.volume;
    ctx.fillText(
      `3D ${this.style.mode.toUpperCase()}${v ? ` · ${v.shape.join('×')} · level ${v.level}` : ''}`,
      8 * dpr,
      7 * dpr,
    );
  }

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

  private applyStyle(): void {
    if (!this.box) return;
    const u = this.box.material.uniforms;
    u.u_renderstyle!.value = this.style.mode === 'mip' ? 0 : 1;
    (u.u_window!.value as THREE.Vector2).set(this.style.window[0] / 255, this.style.window[1] / 255);
    u.u_density!.value = this.style.density;
    u.u_cmdata!.value = lutTexture(this.style.colormap);
    this.requestRender();
  }

  private resize(): void {
    const w = this.container.clientWidth;
    const h = this.container.clientHeight;
    if (w === 0 || h === 0) return;
    this.renderer.setSize(w, h, true);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.renderNow();
  }
}
