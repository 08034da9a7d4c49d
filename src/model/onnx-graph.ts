/**
 * The AUNN's inference graph as an ONNX model, for a native engine (onnxruntime-node): the network of network.ts
 * from the encoded features x [n, inputDim] to the expected byte, the argmax and the entropy (nats) of the softmax.
 * The encoding (address bits, the hash grid's lookup) stays in JS (encoding.ts); the weights are initializers, so
 * one model file is one model version.
 *
 *   const bytes = onnxInferenceModel(config, params);   // Uint8Array, an ONNX ModelProto (opset 17)
 *   const session = await ort.InferenceSession.create(bytes);
 */
import onnxProto, { type onnx as Onnx } from 'onnx-proto';

// A CommonJS module: its namespace comes as the default export under Node's ESM loader.
const { onnx } = onnxProto as unknown as { onnx: typeof Onnx };
import { inputDim, type ModelConfig } from './config.js';
import { RMS_EPS } from './fused-ops.js';
import { OUTPUTS, paramLayout } from './network.js';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
export const ONNX_OPSET = 17;

function floatTensor(name: string, dims: number[], data: Float32Array): Onnx.ITensorProto {
  // raw_data: little-endian bytes, what every ONNX reader takes (and far smaller to write than float_data).
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attrInt(name: string, i: number): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}
function attrInts(name: string, ints: number[]): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

/** The ONNX model of `config` with weights `params` (the flat vector of network.ts's paramLayout). */
export function onnxInferenceModel(
  config: Pick<ModelConfig, 'encoding' | 'width' | 'depth'>,
  params: Float32Array,
): Uint8Array {
  const layout = paramLayout(config);
  const nodes: Onnx.INodeProto[] = [];
  const inits: Onnx.ITensorProto[] = [];
  for (const e of layout.entries)
    if (e.group !== 'grid') inits.push(floatTensor(e.name, e.shape, params.subarray(e.offset, e.offset + e.size)));
  inits.push(floatTensor('eps', [], Float32Array.of(RMS_EPS)));
  inits.push(
    floatTensor(
      'bytes',
      [OUTPUTS],
      Float32Array.from({ length: OUTPUTS }, (_, k) => k),
    ),
  );
  inits.push({ name: 'axis1', dims: [1], dataType: INT64, int64Data: [1] });
  let k = 0;
  const node = (opType: string, inputs: string[], attribute: Onnx.IAttributeProto[] = [], output?: string) => {
    const out = output ?? `t${k++}`;
    nodes.push({ opType, input: inputs, output: [out], attribute, name: out });
    return out;
  };
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
  const model: Onnx.IModelProto = {
    irVersion: 8,
    producerName: 'scroll-aunn',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: 'aunn',
      node: nodes,
      initializer: inits,
      input: [valueInfo('x', FLOAT, ['n', inputDim(config.encoding)])],
      output: [valueInfo('mean', FLOAT, ['n']), valueInfo('argmax', INT64, ['n']), valueInfo('entropy', FLOAT, ['n'])],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}
