/**
 * Writing an ONNX graph by hand: `onnxBuilder()` collects nodes and initializers, `node` adds an op and returns its
 * output's name, `encode` gives the ModelProto's bytes (opset 17) for onnxruntime. Used by the AUNN's graphs
 * (onnx-graph.ts) and the ink readout's (ink/onnx-network.ts).
 *
 *   const { inits, node, encode } = onnxBuilder();
 *   inits.push(floatTensor('W', [4, 2], w));
 *   node('MatMul', ['x', 'W'], [], 'y');
 *   const bytes = encode('g', [valueInfo('x', FLOAT, ['n', 4])], [valueInfo('y', FLOAT, ['n', 2])]);
 */
import onnxProto, { type onnx as Onnx } from 'onnx-proto';

// A CommonJS module: its namespace comes as the default export under Node's ESM loader.
const { onnx } = onnxProto as unknown as { onnx: typeof Onnx };

export type TensorProto = Onnx.ITensorProto;
export type AttributeProto = Onnx.IAttributeProto;
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const ONNX_OPSET = 17;

export function floatTensor(name: string, dims: number[], data: Float32Array): TensorProto {
  // raw_data: little-endian bytes, what every ONNX reader takes (and far smaller to write than float_data).
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  return { name, dims, dataType: INT64, int64Data: values };
}

export function valueInfo(name: string, elemType: number, dims: (number | string)[]): Onnx.IValueInfoProto {
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

export function attrInt(name: string, i: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}
export function attrInts(name: string, ints: number[]): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

/** One graph being written. */
export function onnxBuilder() {
  const nodes: Onnx.INodeProto[] = [];
  const inits: TensorProto[] = [];
  let k = 0;
  const node = (opType: string, inputs: string[], attribute: AttributeProto[] = [], output?: string) => {
    const out = output ?? `t${k++}`;
    nodes.push({ opType, input: inputs, output: [out], attribute, name: out });
    return out;
  };
  const encode = (name: string, input: Onnx.IValueInfoProto[], output: Onnx.IValueInfoProto[]) =>
    onnx.ModelProto.encode({
      irVersion: 8,
      producerName: 'scroll-aunn',
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      graph: { name, node: nodes, initializer: inits, input, output },
    }).finish();
  return { inits, node, encode };
}
