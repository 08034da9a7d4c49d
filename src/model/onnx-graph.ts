/**
 * The AUNN's inference graph as an ONNX model, for a native engine (onnxruntime-node): the network of network.ts
 * from the encoded features x [n, inputDim] to the expected byte, the argmax and the entropy (nats) of the softmax.
 * The encoding (address bits, the hash grid's lookup) stays in JS (encoding.ts); the weights are initializers, so
 * one model file is one model version.
 *
 *   const bytes = onnxInferenceModel(config, params);   // Uint8Array, an ONNX ModelProto (opset 17)
 *   const session = await ort.InferenceSession.create(bytes);
 */
import { inputDim, type ModelConfig } from './config.js';
import { RMS_EPS } from './fused-ops.js';
import { OUTPUTS, paramLayout } from './network.js';
import { attrInt, attrInts, FLOAT, floatTensor, INT64, onnxBuilder, valueInfo } from './onnx-builder.js';

export { ONNX_OPSET } from './onnx-builder.js';

/** A builder with the constants both AUNN graphs use: eps, the byte values 0..255, axis 1. */
function graphBuilder() {
  const b = onnxBuilder();
  b.inits.push(
    floatTensor('eps', [], Float32Array.of(RMS_EPS)),
    floatTensor(
      'bytes',
      [OUTPUTS],
      Float32Array.from({ length: OUTPUTS }, (_, k) => k),
    ),
    { name: 'axis1', dims: [1], dataType: INT64, int64Data: [1] },
  );
  return b;
}

/** The ONNX model of `config` with weights `params` (the flat vector of network.ts's paramLayout). */
export function onnxInferenceModel(
  config: Pick<ModelConfig, 'encoding' | 'width' | 'depth'>,
  params: Float32Array,
): Uint8Array {
  const layout = paramLayout(config);
  const { inits, node, encode } = graphBuilder();
  for (const e of layout.entries)
    if (e.group !== 'grid') inits.push(floatTensor(e.name, e.shape, params.subarray(e.offset, e.offset + e.size)));
  const dense = (x: string, W: string, b: string) => node('Add', [node('MatMul', [x, W]), b]);
  // RMSNorm without gain: h · rsqrt(mean(h²) + eps) (network.ts)
  const rms = (h: string) =>
    node('Div', [
      h,
      node('Sqrt', [
        node('Add', [
          node('ReduceMean', [node('Mul', [h, h])], [attrInts('axes', [-1]), attrInt('keepdims', 1)]),
          'eps',
        ]),
      ]),
    ]);
  let h = node('Relu', [dense('x', 'in.W', 'in.b')]);
  let pending: string | undefined;
  for (let i = 1; i < config.depth; i++) {
    if (pending) h = node('Add', [h, pending]);
    pending = node('Relu', [dense(rms(h), `block${i}.W`, `block${i}.b`)]);
  }
  if (pending) h = node('Add', [h, pending]);
  const logits = dense(rms(h), 'out.W', 'out.b');
  const logp = node('LogSoftmax', [logits], [attrInt('axis', -1)]);
  const p = node('Exp', [logp]);
  node('ReduceSum', [node('Mul', [p, 'bytes']), 'axis1'], [attrInt('keepdims', 0)], 'mean');
  node('ArgMax', [logits], [attrInt('axis', 1), attrInt('keepdims', 0)], 'argmax');
  node('Neg', [node('ReduceSum', [node('Mul', [p, logp]), 'axis1'], [attrInt('keepdims', 0)])], [], 'entropy');
  return encode(
    'aunn',
    [valueInfo('x', FLOAT, ['n', inputDim(config.encoding)])],
    [valueInfo('mean', FLOAT, ['n']), valueInfo('argmax', INT64, ['n']), valueInfo('entropy', FLOAT, ['n'])],
  );
}

/** Names of the gradient graph's outputs, in paramLayout order (then 'loss', 'sse' and, with the grid, 'dx'). */
export function gradientNames(config: Pick<ModelConfig, 'encoding' | 'width' | 'depth'>): string[] {
  return paramLayout(config)
    .entries.filter((e) => e.group !== 'grid')
    .map((e) => `d.${e.name}`);
}

/**
 * One training step's forward and hand-written backward pass as an ONNX graph, the same arithmetic as network.ts's
 * lossAndGrads: inputs the dense parameters (by their layout names), x [n, inputDim] and labels [n] (int64); outputs
 * every parameter's gradient of the mean cross-entropy (against one-hot targets, or rows of `targets` [256, 256] when
 * the labels are Gaussian-smoothed), the summed loss, the summed squared error of the expected byte and, with
 * `inputGrad`, dx (what the hash grid's tables learn from).
 */
export function onnxGradientModel(
  config: Pick<ModelConfig, 'encoding' | 'width' | 'depth'>,
  opts: { targets?: Float32Array; inputGrad: boolean },
): Uint8Array {
  const layout = paramLayout(config);
  const dense = layout.entries.filter((e) => e.group !== 'grid');
  const { inits, node, encode } = graphBuilder();
  inits.push(floatTensor('width', [], Float32Array.of(config.width)), {
    name: 'axis0',
    dims: [1],
    dataType: INT64,
    int64Data: [0],
  });
  if (opts.targets) inits.push(floatTensor('targets', [OUTPUTS, OUTPUTS], opts.targets));
  const matMul = (a: string, b: string, transA = 0, transB = 0) =>
    transA || transB
      ? node('Gemm', [a, b], [attrInt('transA', transA), attrInt('transB', transB)])
      : node('MatMul', [a, b]);
  const denseRelu = (x: string, W: string, b: string) => node('Relu', [node('Add', [matMul(x, W), b])]);
  const rowSum = (t: string) => node('ReduceSum', [t, 'axis1'], [attrInt('keepdims', 1)]);
  // r = 1/sqrt(mean(h²) + eps), [n, 1]
  const rmsR = (h: string) =>
    node('Reciprocal', [
      node('Sqrt', [
        node('Add', [
          node('ReduceMean', [node('Mul', [h, h])], [attrInts('axes', [-1]), attrInt('keepdims', 1)]),
          'eps',
        ]),
      ]),
    ]);
  // ∂y/∂h·dy for y = h·r: r·dy − h·r³·Σ(dy·h)/width (fused-ops.ts compositeRmsNormBackward)
  const rmsBack = (h: string, r: string, dy: string) =>
    node('Sub', [
      node('Mul', [dy, r]),
      node('Mul', [
        h,
        node('Div', [node('Mul', [node('Mul', [node('Mul', [r, r]), r]), rowSum(node('Mul', [dy, h]))]), 'width']),
      ]),
    ]);
  // ReLU backward given the layer's output a ≥ 0: sign(a) is 1 where it passed, 0 where it did not.
  const reluBack = (dh: string, a: string) => node('Mul', [dh, node('Sign', [a])]);

  // Forward, keeping per block its stream h, the norm's r, its normalised input y and its output a.
  const a0 = denseRelu('x', 'in.W', 'in.b');
  let h = a0;
  let pending: string | undefined;
  const saved: { h: string; r: string; y: string; a: string }[] = [];
  for (let i = 1; i < config.depth; i++) {
    if (pending) h = node('Add', [h, pending]);
    const r = rmsR(h);
    const y = node('Mul', [h, r]);
    const a = denseRelu(y, `block${i}.W`, `block${i}.b`);
    saved.push({ h, r, y, a });
    pending = a;
  }
  if (pending) h = node('Add', [h, pending]);
  const rOut = rmsR(h);
  const yOut = node('Mul', [h, rOut]);
  const logits = node('Add', [matMul(yOut, 'out.W'), 'out.b']);
  const logp = node('LogSoftmax', [logits], [attrInt('axis', -1)]);
  const p = node('Exp', [logp]);
  const target = opts.targets
    ? node('Gather', ['targets', 'labels'], [attrInt('axis', 0)])
    : node('OneHot', ['labels', 'depth', 'onOff'], [attrInt('axis', -1)]);
  if (!opts.targets) {
    inits.push({ name: 'depth', dims: [], dataType: INT64, int64Data: [OUTPUTS] });
    inits.push(floatTensor('onOff', [2], Float32Array.of(0, 1)));
  }
  node('Neg', [node('ReduceSum', [node('Mul', [target, logp])], [attrInt('keepdims', 0)])], [], 'loss');
  const err = node('Sub', [
    node('ReduceSum', [node('Mul', [p, 'bytes']), 'axis1'], [attrInt('keepdims', 0)]),
    node('Cast', ['labels'], [attrInt('to', FLOAT)]),
  ]);
  node('ReduceSum', [node('Mul', [err, err])], [attrInt('keepdims', 0)], 'sse');
  // dlg = (p − t)/n
  const n = node(
    'Cast',
    [node('Gather', [node('Shape', ['x']), 'zeroIndex'], [attrInt('axis', 0)])],
    [attrInt('to', FLOAT)],
  );
  inits.push({ name: 'zeroIndex', dims: [], dataType: INT64, int64Data: [0] });
  const dlg = node('Div', [node('Sub', [p, target]), n]);
  const colSum = (t: string, out: string) => node('ReduceSum', [t, 'axis0'], [attrInt('keepdims', 0)], out);

  // Backward.
  node('Gemm', [yOut, dlg], [attrInt('transA', 1), attrInt('transB', 0)], 'd.out.W');
  colSum(dlg, 'd.out.b');
  let dh = rmsBack(h, rOut, matMul(dlg, 'out.W', 0, 1));
  let dpre = reluBack(dh, config.depth > 1 ? saved[config.depth - 2]!.a : a0);
  for (let i = config.depth - 1; i >= 1; i--) {
    const s = saved[i - 1]!;
    node('Gemm', [s.y, dpre], [attrInt('transA', 1), attrInt('transB', 0)], `d.block${i}.W`);
    colSum(dpre, `d.block${i}.b`);
    const dy = matMul(dpre, `block${i}.W`, 0, 1);
    dh = node('Add', [dh, rmsBack(s.h, s.r, dy)]);
    dpre = reluBack(dh, i > 1 ? saved[i - 2]!.a : a0);
  }
  node('Gemm', ['x', dpre], [attrInt('transA', 1), attrInt('transB', 0)], 'd.in.W');
  colSum(dpre, 'd.in.b');
  if (opts.inputGrad) node('Gemm', [dpre, 'in.W'], [attrInt('transA', 0), attrInt('transB', 1)], 'dx');

  const d = inputDim(config.encoding);
  const outputs = [
    ...dense.map((e) => valueInfo(`d.${e.name}`, FLOAT, e.shape)),
    valueInfo('loss', FLOAT, []),
    valueInfo('sse', FLOAT, []),
    ...(opts.inputGrad ? [valueInfo('dx', FLOAT, ['n', d])] : []),
  ];
  return encode(
    'aunn-gradients',
    [
      valueInfo('x', FLOAT, ['n', d]),
      valueInfo('labels', INT64, ['n']),
      ...dense.map((e) => valueInfo(e.name, FLOAT, e.shape)),
    ],
    outputs,
  );
}
