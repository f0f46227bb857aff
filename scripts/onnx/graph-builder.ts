/**
 * A small, deterministic ONNX graph builder on top of onnx-proto's generated protobuf classes.
 *
 * Determinism: names come from the caller or from a per-builder counter, initializers are emitted
 * in creation order, nodes in insertion order, and nothing time- or host-dependent is written, so
 * building the same model twice gives identical bytes.
 */
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';

export const { onnx } = onnxProto;

/** ONNX IR version 8 (ONNX 1.10-1.12) and default-domain opset 17 (ONNX 1.12); onnxruntime 1.30 runs both. */
export const IR_VERSION = 8;
export const OPSET = 17;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** A tensor value in the graph, by name. */
export type Value = string;

export interface ModelSpec {
  readonly graphName: string;
  readonly docString: string;
  readonly input: { readonly name: string; readonly width: number; readonly docString: string };
  readonly outputs: readonly { readonly name: Value; readonly width: number; readonly docString: string }[];
  readonly metadata: readonly (readonly [string, string])[];
  readonly modelVersion: number;
  readonly producerName: string;
}

function tensorType(width: number): P.ITypeProto {
  return {
    tensorType: {
      elemType: FLOAT,
      shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: P.INodeProto[] = [];
  private readonly initializers: P.ITensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly scalars = new Map<number, Value>();
  private counter = 0;

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate tensor name ${name}`);
    this.names.add(name);
    return name;
  }

  /** A float32 initializer (rank 0 when dims is empty). */
  floats(name: string, values: readonly number[], dims: readonly number[]): Value {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== values.length) throw new Error(`${name}: ${values.length} values for dims [${dims.join(',')}]`);
    if (values.some((v) => !Number.isFinite(v))) throw new Error(`${name}: non-finite value`);
    this.initializers.push({ name: this.claim(name), dataType: FLOAT, dims: [...dims], floatData: [...values] });
    return name;
  }

  /** An int64 1-D initializer. */
  int64s(name: string, values: readonly number[]): Value {
    this.initializers.push({ name: this.claim(name), dataType: INT64, dims: [values.length], int64Data: [...values] });
    return name;
  }

  /** A shared float32 scalar constant, one initializer per distinct value. */
  scalar(value: number): Value {
    const existing = this.scalars.get(value);
    if (existing !== undefined) return existing;
    const name = this.floats(`const_${String(value)}`, [value], []);
    this.scalars.set(value, name);
    return name;
  }

  /** Adds a node; returns its output names. */
  node(opType: string, inputs: readonly Value[], outputs: readonly string[], attributes: P.IAttributeProto[] = []): Value[] {
    const n = this.counter++;
    const outs = outputs.map((o) => this.claim(o));
    this.nodes.push({ name: `${opType}_${n}`, opType, input: [...inputs], output: outs, attribute: attributes });
    return outs;
  }

  /** Single-output node; the output is named `name` or `<opType>_<n>_out`. */
  op(opType: string, inputs: readonly Value[], name?: string, attributes: P.IAttributeProto[] = []): Value {
    const out = name ?? `${opType.toLowerCase()}_${this.counter}_out`;
    const [o] = this.node(opType, inputs, [out], attributes);
    return o!;
  }

  /** Names of every tensor some node reads. */
  consumed(): ReadonlySet<string> {
    return new Set(this.nodes.flatMap((n) => n.input ?? []));
  }

  static intAttr(name: string, i: number): P.IAttributeProto {
    return { name, type: onnx.AttributeProto.AttributeType.INT, i };
  }

  /** Serializes the model. */
  build(spec: ModelSpec): Uint8Array {
    const model: P.IModelProto = {
      irVersion: IR_VERSION,
      producerName: spec.producerName,
      modelVersion: spec.modelVersion,
      docString: spec.docString,
      opsetImport: [{ domain: '', version: OPSET }],
      metadataProps: spec.metadata.map(([key, value]) => ({ key, value })),
      graph: {
        name: spec.graphName,
        docString: spec.docString,
        node: this.nodes,
        initializer: this.initializers,
        input: [{ name: spec.input.name, docString: spec.input.docString, type: tensorType(spec.input.width) }],
        output: spec.outputs.map((o) => ({ name: o.name, docString: o.docString, type: tensorType(o.width) })),
      },
    };
    const err = onnx.ModelProto.verify(model);
    if (err) throw new Error(`invalid ModelProto: ${err}`);
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
    return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
}
