/**
 * The synthetic sample scroll: `generateSample` and the pieces the tests and other parts reuse.
 *
 *   import { generateSample } from './index.js';
 *   const s = await generateSample({ out: '/tmp/sample', seed: 1, size: 'small' });
 *   s.segment.dir, s.scanA.dir, s.scanB.affineToScanA, s.truth
 *   const t = await ensureSample({ out: '.aunn/sample-s1', seed: 1 });   // generates only when missing
 */
export { ensureSample, readSample } from './ensure.js';
export {
  damageRows,
  generateSample,
  LABELLED_FRACTION,
  sampleScrollName,
  type SampleDamage,
  type SampleOptions,
  type SampleSummary,
} from './generate.js';
export {
  DAMAGE_KINDS,
  damageFor,
  FAMILIES,
  SAMPLE_SIZES,
  scribeOf,
  scrollParams,
  type Damage,
  type DamageKind,
  type Family,
  type SampleSize,
  type ScrollParams,
} from './params.js';
export { inkContrastToNoise, type InkContrast } from './measure.js';
export { LAYERS, SURFACE_LAYER } from './segment.js';
