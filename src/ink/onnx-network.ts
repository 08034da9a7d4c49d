/**
 * The ink readout network (network.ts) as ONNX graphs for a native engine: inference (features [1, H, W, C] →
 * probabilities [1, 1, H, W]) and one training step's forward and hand-written backward pass (the same arithmetic as
 * network.ts's forward + backward with given dropout masks). Weights are graph inputs in network.ts's layout (W{i}
 * [k·k·cin, cout] = HWIO filters flattened, b{i} [cout]), so one session serves every step and every snapshot.
 *
 * The backward of a 'same' stride-1 convolution, in plain ONNX ops: the input's gradient is the ConvTranspose of dZ
 * with the same filter (its adjoint); the filter's gradient is a Conv of the input transposed to [cin, B, H, W] with
 * dZ transposed to [cout, B, H, W] taken as the kernel, which gives [cin, cout, k, k].
 *
 *   const bytes = onnxReadoutTraining(shape);     // inputs x [B,H,W,C] (NHWC), y, w [B,1,H,W], m{i} [B,H,W,cout], W{i}, b{i}
 *   const bytes = onnxReadoutInference(shape);    // inputs x [1,H,W,C], W{i}, b{i}; output prob [1,1,H,W]
 */
import { attrInt, attrInts, FLOAT, int64Tensor, onnxBuilder, valueInfo } from '../model/onnx-builder.js';
import { layerDims, type NetworkShape } from './network.js';

const toNCHW = [0, 3, 1, 2];

/** The forward pass's nodes; `masks` names the dropout-mask inputs (NHWC) of the hidden layers, if any. */
function forwardNodes(shape: NetworkShape, b: ReturnType<typeof onnxBuilder>, masks: boolean) {
  const { node, inits } = b;
  const dims = layerDims(shape);
  const acts: string[] = [];
  const gates: string[] = [];
  const filters: string[] = [];
  let a = node('Transpose', ['x'], [attrInts('perm', toNCHW)]);
  dims.forEach(({ k, cin, cout }, i) => {
    inits.push(int64Tensor(`hwio${i}`, [4], [k, k, cin, cout]));
    // [k·k·cin, cout] → [k, k, cin, cout] (HWIO) → [cout, cin, k, k] (OIHW, what Conv takes)
    const f = node('Transpose', [node('Reshape', [`W${i}`, `hwio${i}`])], [attrInts('perm', [3, 2, 0, 1])]);
    filters.push(f);
    acts.push(a);
    const r = (k - 1) / 2;
    const z = node('Conv', [a, f, `b${i}`], [attrInts('pads', [r, r, r, r]), attrInts('kernel_shape', [k, k])]);
    if (i < dims.length - 1) {
      // gate = [z > 0] · mask (the mask holds 0 or 1/keep): ReLU and dropout in one product
      const pass = node('Cast', [node('Greater', [z, 'zero'])], [attrInt('to', FLOAT)]);
      const gate = masks ? node('Mul', [pass, node('Transpose', [`m${i}`], [attrInts('perm', toNCHW)])]) : pass;
      gates.push(gate);
      a = node('Mul', [z, gate]);
    } else a = z;
  });
  inits.push({ name: 'zero', dims: [], dataType: FLOAT, floatData: [0] });
  return { logits: a, acts, gates, filters };
}

function weightInputs(shape: NetworkShape) {
  return layerDims(shape).flatMap(({ k, cin, cout }, i) => [
    valueInfo(`W${i}`, FLOAT, [k * k * cin, cout]),
    valueInfo(`b${i}`, FLOAT, [cout]),
  ]);
}

/** Inference: ink probability of every pixel of a [1, H, W, C] feature image. */
export function onnxReadoutInference(shape: NetworkShape): Uint8Array {
  const b = onnxBuilder();
  const { logits } = forwardNodes(shape, b, false);
  b.node('Sigmoid', [logits], [], 'prob');
  return b.encode(
    'ink-readout',
    [valueInfo('x', FLOAT, [1, 'h', 'w', shape.inChannels]), ...weightInputs(shape)],
    [valueInfo('prob', FLOAT, [1, 1, 'h', 'w'])],
  );
}

/**
 * One training step: logits [B, 1, H, W] and the gradients d.W{i}, d.b{i} of the weighted logistic loss
 * Σ w·(softplus(z) − y·z), where the caller has divided w by its sum (readout.ts).
 */
export function onnxReadoutTraining(shape: NetworkShape): Uint8Array {
  const b = onnxBuilder();
  const { node, inits } = b;
  const dims = layerDims(shape);
  const { logits, acts, gates, filters } = forwardNodes(shape, b, true);
  node('Identity', [logits], [], 'logits');
  inits.push(int64Tensor('axesBHW', [3], [0, 2, 3]));
  let dz = node('Mul', [node('Sub', [node('Sigmoid', [logits]), 'y']), 'w']);
  for (let i = dims.length - 1; i >= 0; i--) {
    const { k, cin, cout } = dims[i]!;
    const r = (k - 1) / 2;
    node('ReduceSum', [dz, 'axesBHW'], [attrInt('keepdims', 0)], `d.b${i}`);
    const swap = [attrInts('perm', [1, 0, 2, 3])];
    const g = node(
      'Conv',
      [node('Transpose', [acts[i]!], swap), node('Transpose', [dz], swap)],
      [attrInts('pads', [r, r, r, r])],
    ); // [cin, cout, k, k]
    inits.push(int64Tensor(`flat${i}`, [2], [k * k * cin, cout]));
    node('Reshape', [node('Transpose', [g], [attrInts('perm', [2, 3, 0, 1])]), `flat${i}`], [], `d.W${i}`);
    if (i === 0) break;
    const dAct = node(
      'ConvTranspose',
      [dz, filters[i]!],
      [attrInts('pads', [r, r, r, r]), attrInts('kernel_shape', [k, k])],
    );
    dz = node('Mul', [dAct, gates[i - 1]!]);
  }
  const B = 'b',
    H = 'h',
    W = 'w_';
  return b.encode(
    'ink-readout-step',
    [
      valueInfo('x', FLOAT, [B, H, W, shape.inChannels]),
      valueInfo('y', FLOAT, [B, 1, H, W]),
      valueInfo('w', FLOAT, [B, 1, H, W]),
      ...dims.slice(0, -1).map(({ cout }, i) => valueInfo(`m${i}`, FLOAT, [B, H, W, cout])),
      ...weightInputs(shape),
    ],
    [
      valueInfo('logits', FLOAT, [B, 1, H, W]),
      ...dims.flatMap(({ k, cin, cout }, i) => [
        valueInfo(`d.W${i}`, FLOAT, [k * k * cin, cout]),
        valueInfo(`d.b${i}`, FLOAT, [cout]),
      ]),
    ],
  );
}
