// The house rules: the data flows one way (files -> ingest -> corpus -> model -> ink -> reading -> export) and each
// floor of src/ imports only the floors below it. Checked by `npm run check:imports` (part of `npm test`).
//
// Floors, bottom to top. A floor may import the floors listed before it, never those after it.
const FLOORS = [
  'core',
  'formats',
  'corpus',
  'ingest',
  'model',
  'ink',
  'lm-conditioning',
  'workflows',
  'api',
  'server',
  'cli',
];

const above = (i) => FLOORS.slice(i + 1);
const floorRules = FLOORS.slice(0, -1).map((floor, i) => ({
  name: `floor-${floor}`,
  comment: `src/${floor} may not import the floors above it (${above(i).join(', ')})`,
  severity: 'error',
  from: { path: `^src/${floor}/` },
  to: { path: `^src/(${above(i).join('|')})/` },
}));

// The data floors know nothing of the generator, the app or the benches.
const NOT_BELOW = ['sample-data', 'app', 'bench', 'test'];

module.exports = {
  forbidden: [
    ...floorRules,
    {
      name: 'no-cli-below',
      comment: 'nothing below the CLI imports it: only the CLI maps errors to flag hints and exit codes',
      severity: 'error',
      from: { path: '^(src/(?!cli/)|sample-data/|app/)' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'src-not-upwards',
      comment: `src/ below the workflows does not import ${NOT_BELOW.join(', ')}`,
      severity: 'error',
      from: { path: '^src/(core|formats|corpus|ingest|model|ink|lm-conditioning|api|server|viewer)/' },
      to: { path: `^(${NOT_BELOW.join('|')})/` },
    },
    {
      name: 'viewer-only-api',
      comment: 'browser code sees the data only through the API: src/viewer imports src/api, itself and three',
      severity: 'error',
      from: { path: '^src/viewer/' },
      to: {
        pathNot: ['^src/(viewer|api)/', '(^|/)node_modules/(three|@types/three)/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'viewer-no-node',
      comment: 'browser code uses no Node built-ins',
      severity: 'error',
      from: { path: '^src/viewer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'api-types-only',
      comment: 'src/api holds wire types: it may name corpus types but import no code',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/(?!api/)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'model-no-formats',
      comment: 'the AUNN knows no file format: no codec libraries, no src/formats, no ingest readers',
      severity: 'error',
      from: { path: '^src/model/' },
      to: {
        path: [
          '^src/(formats|ingest)/',
          '(^|node_modules/)(fast-png|geotiff|utif2|zarrita|@zarrita|numcodecs|@itk-wasm)(/|$)',
        ],
      },
    },
    {
      name: 'corpus-no-ingest-or-model',
      comment: 'the corpus stores records; it knows neither the readers nor the model',
      severity: 'error',
      from: { path: '^src/corpus/' },
      to: { path: '^src/(ingest|model|ink)/' },
    },
    {
      name: 'enter-through-index',
      comment:
        'another floor enters src/model, src/ink and src/corpus through their index.ts (src/api names the corpus types ' +
        'file directly, so the browser typecheck does not pull in Node code)',
      severity: 'error',
      from: { path: '^(src|app|bench|sample-data)/', pathNot: '^src/(model|ink|corpus|api)/' },
      to: { path: '^src/(model|ink|corpus)/', pathNot: ['^src/(model|ink|corpus)/index\\.ts$', '\\.(mjs|cjs)$'] },
    },
    {
      name: 'no-circular',
      comment: 'no import circles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
