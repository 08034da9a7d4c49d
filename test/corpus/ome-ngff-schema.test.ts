/**
 * Record groups against the official OME-NGFF 0.5 JSON schemas (committed under test/fixtures/ome-ngff-0.5/, see the
 * README there): every group the corpus writes that claims `ome` metadata must pass strict_image.schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { Corpus } from '../../src/corpus/index.js';
import { appendVolume, makeVolume, scratchDir } from './helpers/volumes.js';

const SCHEMA_DIR = path.join(import.meta.dirname, '..', 'fixtures', 'ome-ngff-0.5');
const STRICT_IMAGE = 'https://ngff.openmicroscopy.org/0.5/schemas/strict_image.schema';

/** A validator for strict_image.schema; its $refs resolve to the committed files by their $id, never the network. */
function strictImageValidator() {
  // strict_image.schema's overlay uses `properties` / `items` without a `type` beside them, which ajv's strictTypes
  // warns about; the schemas stay verbatim, so only that check is off.
  const ajv = new Ajv2020({ allErrors: true, strictTypes: false });
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema')))
    ajv.addSchema(JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as object);
  const validate = ajv.getSchema(STRICT_IMAGE);
  if (!validate) throw new Error(`${STRICT_IMAGE} is not among the committed schemas`);
  return (attrs: unknown) =>
    validate(attrs) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** The attributes of every group node under data.zarr, by path relative to it. */
function groupAttributes(dataDir: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const walk = (rel: string) => {
    const meta = JSON.parse(readFileSync(path.join(dataDir, rel, 'zarr.json'), 'utf8')) as {
      node_type: string;
      attributes?: Record<string, unknown>;
    };
    if (meta.node_type !== 'group') return;
    out.set(rel, meta.attributes ?? {});
    for (const entry of readdirSync(path.join(dataDir, rel), { withFileTypes: true }))
      if (entry.isDirectory()) walk(path.join(rel, entry.name));
  };
  walk('.');
  return out;
}

describe('OME-NGFF 0.5 schema', () => {
  it('every record group of a corpus passes strict_image.schema', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    // One of each kind of record the corpus writes: scans with and without a voxel size, a 2-D mask, a segment's
    // layers, ink labels, text, and a prediction.
    const scan = await appendVolume(corpus, 's/scan', [70, 40, 30], makeVolume([70, 40, 30]), {
      voxelSizeUm: [7.91, 7.91, 7.91],
    });
    await appendVolume(corpus, 's/bare', [5, 6, 7], makeVolume([5, 6, 7]));
    await appendVolume(corpus, 's/mask', [1, 20, 30], makeVolume([1, 20, 30]), { modality: 'mask' });
    await appendVolume(corpus, 's/seg/layers', [65, 4, 5], makeVolume([65, 4, 5]), { modality: 'segment-layers' });
    await appendVolume(corpus, 's/seg/ink', [1, 4, 5], makeVolume([1, 4, 5]), { modality: 'ink-labels' });
    await appendVolume(corpus, 's/text', [1, 1, 100], makeVolume([1, 1, 100]), { modality: 'text' });
    const prediction = await corpus.withWriter((w) =>
      w.writePrediction(scan, 'ink', makeVolume([70, 40, 30]), { model: 'm1' }),
    );

    const validate = strictImageValidator();
    const groups = groupAttributes(path.join(dir, 'data.zarr'));
    for (const rec of corpus.manifest.records) {
      const attrs = groups.get(rec.array);
      expect(attrs, rec.array).toBeDefined();
      expect(validate(attrs), `${rec.name} (${rec.array})`).toEqual([]);
    }
    expect(corpus.manifest.records.map((r) => r.array)).toContain(prediction.array);
    // Any other group that claims OME metadata must pass too (today only record groups do).
    const claiming = [...groups].filter(([, attrs]) => 'ome' in attrs);
    expect(claiming).toHaveLength(corpus.manifest.records.length);
    for (const [rel, attrs] of claiming) expect(validate(attrs), rel).toEqual([]);
  });

  it('rejects record attributes that break the strict schema', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const rec = await appendVolume(corpus, 's/scan', [3, 4, 5], makeVolume([3, 4, 5]));
    const attrs = groupAttributes(path.join(dir, 'data.zarr')).get(rec.array)!;
    const validate = strictImageValidator();
    expect(validate(attrs)).toEqual([]);

    type Multiscale = { type?: string; axes: Array<{ type?: string }>; datasets: unknown[] };
    const broken = (edit: (m: Multiscale, ome: { version: string }) => void) => {
      const copy = structuredClone(attrs) as { ome: { version: string; multiscales: Multiscale[] } };
      edit(copy.ome.multiscales[0]!, copy.ome);
      return validate(copy);
    };
    expect(broken((m) => delete m.type)).toContainEqual(expect.stringMatching(/must have required property 'type'/));
    expect(broken((_, ome) => (ome.version = '0.4'))).toContainEqual(expect.stringMatching(/^\/ome\/version /));
    expect(broken((m) => (m.datasets = []))).not.toEqual([]);
    // Only one of z, y, x still a space axis: the schema wants two or three.
    expect(
      broken((m) => {
        m.axes[0]!.type = 'time';
        m.axes[1]!.type = 'channel';
      }),
    ).not.toEqual([]);
  });
});
