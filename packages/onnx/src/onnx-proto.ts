/**
 * The few ONNX messages an inference graph needs, as plain objects, and
 * their encoding. Field numbers are those of onnx/onnx.proto (proto2, IR
 * version 8); only the fields written here are listed:
 *
 * | message | fields used |
 * | --- | --- |
 * | ModelProto | ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8, metadata_props 14 |
 * | OperatorSetIdProto | domain 1, version 2 |
 * | StringStringEntryProto | key 1, value 2 |
 * | GraphProto | node 1, name 2, initializer 5, input 11, output 12 |
 * | NodeProto | input 1, output 2, name 3, op_type 4, attribute 5 |
 * | AttributeProto | name 1, f 2, i 3, floats 7, ints 8, type 20 (FLOAT 1, INT 2, FLOATS 6, INTS 7) |
 * | TensorProto | dims 1, data_type 2 (FLOAT 1, INT64 7), name 8, raw_data 9 (little-endian) |
 * | ValueInfoProto | name 1, type 2 |
 * | TypeProto | tensor_type 1 |
 * | TypeProto.Tensor | elem_type 1, shape 2 |
 * | TensorShapeProto | dim 1 |
 * | TensorShapeProto.Dimension | dim_value 1, dim_param 2 |
 */
import { ProtoWriter } from './protobuf.js';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** An attribute value: a float, an int, a list of floats or a list of ints. */
export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'ints'; value: readonly number[] };

/** A node of the graph (NodeProto). */
export interface OnnxNode {
  /** The operator, e.g. 'Conv'. */
  opType: string;
  /** A name unique in the graph. */
  name: string;
  /** Names of the values it reads, in the operator's order. */
  inputs: readonly string[];
  /** Names of the values it makes. */
  outputs: readonly string[];
  /** Its attributes by name. */
  attributes: Readonly<Record<string, AttributeValue>>;
}

/** A constant of the graph (TensorProto): float32 or int64 data, row-major. */
export interface OnnxInitializer {
  /** A name unique in the graph. */
  name: string;
  /** Its shape ([] for a scalar). */
  dims: readonly number[];
  /** Its values, row-major. */
  data: Float32Array | BigInt64Array;
}

/** A graph input or output (ValueInfoProto of a float tensor); a string dimension is symbolic. */
export interface OnnxValueInfo {
  /** The value's name. */
  name: string;
  /** Its shape; a string names a symbolic dimension. */
  shape: readonly (number | string)[];
}

/** A whole model (ModelProto with its GraphProto). */
export interface OnnxModel {
  /** The IR version (7 for opsets 13–14, 8 for 15–18, 9 for 19–20). */
  irVersion: number;
  /** The default domain's operator set. */
  opset: number;
  /** The tool that wrote it ('nerve'). */
  producerName: string;
  /** Its version. */
  producerVersion: string;
  /** A description. */
  docString?: string;
  /** Key/value strings (metadata_props). */
  metadata?: Readonly<Record<string, string>>;
  /** The graph's name. */
  graphName: string;
  /** The nodes, in topological order. */
  nodes: readonly OnnxNode[];
  /** The constants. */
  initializers: readonly OnnxInitializer[];
  /** The graph's inputs. */
  inputs: readonly OnnxValueInfo[];
  /** The graph's outputs. */
  outputs: readonly OnnxValueInfo[];
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, floats: 6, ints: 7 } as const;

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  w.int(20, ATTRIBUTE_TYPE[a.type]);
  if (a.type === 'float') w.float(2, a.value);
  else if (a.type === 'int') w.int(3, a.value);
  else if (a.type === 'floats') w.floats(7, a.value);
  else w.ints(8, a.value);
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, a] of Object.entries(n.attributes)) w.message(5, (m) => writeAttribute(m, k, a));
}

function writeTensor(w: ProtoWriter, t: OnnxInitializer): void {
  w.ints(1, t.dims);
  w.int(2, t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64);
  w.string(8, t.name);
  w.bytes(9, littleEndianBytes(t.data));
}

/** The data's bytes in little-endian order, as raw_data requires, whatever the host's order. */
function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array)
    for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setBigInt64(8 * i, data[i], true);
  return out;
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, DataType.FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

/** The model's bytes: a serialized ModelProto, as an .onnx file holds it. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, (g) => {
    for (const n of m.nodes) g.message(1, (x) => writeNode(x, n));
    g.string(2, m.graphName);
    for (const t of m.initializers) g.message(5, (x) => writeTensor(x, t));
    for (const v of m.inputs) g.message(11, (x) => writeValueInfo(x, v));
    for (const v of m.outputs) g.message(12, (x) => writeValueInfo(x, v));
  });
  // The default domain ('' = ai.onnx) at the chosen opset.
  w.message(8, (o) => o.string(1, '').int(2, m.opset));
  for (const [key, value] of Object.entries(m.metadata ?? {})) {
    w.message(14, (e) => e.string(1, key).string(2, value));
  }
  return w.finish();
}
