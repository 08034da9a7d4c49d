/**
 * Raymarching shader for a Data3DTexture, adapted from three/examples/jsm/shaders/VolumeShader.js (the
 * webgl2_materials_texture3d example): the same box/ray set-up, with two render styles — maximum intensity
 * projection (0) and direct volume rendering (1: front-to-back compositing, opacity from the window through a
 * transfer ramp, colour from the colormap) — and a window [lo, hi] instead of the example's clim.
 *
 *   new THREE.ShaderMaterial({ ...VolumeRaymarchShader, uniforms: THREE.UniformsUtils.clone(VolumeRaymarchShader.uniforms) })
 */
import { Vector2, Vector3 } from 'three';

export const VolumeRaymarchShader = {
  uniforms: {
    u_size: { value: new Vector3(1, 1, 1) },
    u_renderstyle: { value: 0 },
    u_window: { value: new Vector2(0, 1) },
    u_density: { value: 1.0 },
    u_data: { value: null },
    u_cmdata: { value: null },
  },
  vertexShader: /* glsl */ `
    varying vec3 v_position;
    varying vec3 v_cameraInObj;
    varying vec3 v_viewDirInObj;
    void main() {
      v_position = position;
      v_cameraInObj = (inverse(modelMatrix) * vec4(cameraPosition, 1.0)).xyz;
      v_viewDirInObj = (inverse(modelViewMatrix) * vec4(0.0, 0.0, -1.0, 0.0)).xyz;
      gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
    }`,
  fragmentShader: /* glsl */ `
    precision highp float;
    precision mediump sampler3D;
    uniform vec3 u_size;
    uniform int u_renderstyle;
    uniform vec2 u_window;
    uniform float u_density;
    uniform sampler3D u_data;
    uniform sampler2D u_cmdata;
    varying vec3 v_position;
    varying vec3 v_cameraInObj;
    varying vec3 v_viewDirInObj;
    const int MAX_STEPS = 887;

    float windowed(float v) { return clamp((v - u_window.x) / max(u_window.y - u_window.x, 1e-4), 0.0, 1.0); }
    vec4 colormap(float t) { return texture2D(u_cmdata, vec2((t * 255.0 + 0.5) / 256.0, 0.5)); }

    void main() {
      vec3 view_ray = isOrthographic ? normalize(-v_viewDirInObj) : normalize(v_cameraInObj - v_position);
      vec3 t1 = (vec3(-0.5) - v_position) / view_ray;
      vec3 t2 = (u_size - vec3(0.5) - v_position) / view_ray;
      vec3 tmax = max(t1, t2);
      float dist = min(min(tmax.x, tmax.y), tmax.z);
      int nsteps = int(dist + 0.5);
      if (nsteps < 1) discard;
      vec3 front = v_position + view_ray * dist;
      vec3 step = ((v_position - front) / u_size) / float(nsteps);
      vec3 loc = front / u_size;

      if (u_renderstyle == 0) {
        float maxv = -1.0;
        for (int i = 0; i < MAX_STEPS; i++) {
          if (i >= nsteps) break;
          maxv = max(maxv, texture(u_data, loc).r);
          loc += step;
        }
        float t = windowed(maxv);
        gl_FragColor = vec4(colormap(t).rgb, 1.0);
        if (t <= 0.0) gl_FragColor = vec4(0.0, 0.0, 0.0, 1.0);
      } else {
        vec4 acc = vec4(0.0);
        for (int i = 0; i < MAX_STEPS; i++) {
          if (i >= nsteps || acc.a > 0.97) break;
          float t = windowed(texture(u_data, loc).r);
          float a = 1.0 - pow(1.0 - clamp(t * t * u_density * 0.25, 0.0, 1.0), 1.0);
          vec3 c = colormap(t).rgb;
          acc.rgb += (1.0 - acc.a) * a * c;
          acc.a += (1.0 - acc.a) * a;
          loc += step;
        }
        gl_FragColor = vec4(acc.rgb, 1.0);
      }
    }`,
};
