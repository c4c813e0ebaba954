import * as tf from '@tensorflow/tfjs';
import { TimError } from '../../core/errors';

/**
 * A tfjs layers model as an ONNX graph, in plain objects shaped like onnx.proto's messages
 * (protobufjs encodes them). Tim's models are NHWC; the graph takes the same NHWC input, turns
 * it to NCHW once and stays there, so every convolution is ONNX's native layout. Layers that
 * act on the channel axis (BatchNorm, LayerNorm, layer scale, a Dense on a feature map) act on
 * axis 1 instead of the last.
 */

export const ONNX_OPSET = 17;

const FLOAT = 1;
const INT64 = 7;

export interface TensorJson {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

export interface AttributeJson {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
}

export interface NodeJson {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: AttributeJson[];
}

export interface GraphJson {
  name: string;
  node: NodeJson[];
  initializer: TensorJson[];
  input: unknown[];
  output: unknown[];
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

type Attr = number | string | number[] | { float: number };

function attribute(name: string, value: Attr): AttributeJson {
  if (typeof value === 'string') return { name, type: ATTR_STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: ATTR_INTS, ints: value };
  if (typeof value === 'object') return { name, type: ATTR_FLOAT, f: value.float };
  return { name, type: ATTR_INT, i: value };
}

function valueInfo(name: string, dims: Array<number | string>): unknown {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** Collects nodes and initialisers with unique names. */
class GraphBuilder {
  readonly nodes: NodeJson[] = [];
  readonly initializers: TensorJson[] = [];
  private readonly used = new Set<string>();
  private readonly scalars = new Map<number, string>();

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  node(opType: string, inputs: string[], name: string, attrs: Record<string, Attr> = {}): string {
    const output = this.unique(name);
    this.nodes.push({ name: output, opType, input: inputs, output: [output], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return output;
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    const unique = this.unique(name);
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.initializers.push({ name: unique, dims, dataType: FLOAT, rawData: bytes });
    return unique;
  }

  int64s(name: string, values: number[]): string {
    const unique = this.unique(name);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name: unique, dims: [values.length], dataType: INT64, rawData: new Uint8Array(data.buffer) });
    return unique;
  }

  scalar(value: number): string {
    const known = this.scalars.get(value);
    if (known) return known;
    const name = this.floats(`const_${value}`, [], Float32Array.of(value));
    this.scalars.set(value, name);
    return name;
  }
}

/** HWIO (tfjs Conv2D) → OIHW (ONNX Conv). */
function convKernelToOihw(kernel: Float32Array, [kh, kw, ci, co]: readonly [number, number, number, number]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = kernel[((y * kw + x) * ci + i) * co + o] as number;
  return out;
}

interface LayerWeights {
  values: Float32Array[];
  shapes: number[][];
}

async function weightsOf(layer: tf.layers.Layer): Promise<LayerWeights> {
  const ws = layer.getWeights();
  const values = await Promise.all(ws.map(async (w) => (await w.data()) as Float32Array));
  return { values, shapes: ws.map((w) => w.shape) };
}

function inputNamesOf(layer: tf.layers.Layer): string[] {
  const nodes = layer.inboundNodes;
  if (nodes.length !== 1) throw new TimError(`layer '${layer.name}' is used ${nodes.length} times; ONNX export takes each layer once`);
  return (nodes[0]?.inboundLayers ?? []).map((l) => l.name);
}

function rankOf(layer: tf.layers.Layer): number {
  const shape = layer.outputShape as tf.Shape;
  return shape.length;
}

/** [C] channel weights broadcast over NCHW ([C,1,1]) or NC ([C]). */
function channelShape(channels: number, rank: number): number[] {
  return rank === 4 ? [channels, 1, 1] : [channels];
}

/** Tensors each layer's output is known by in the graph, after identities are skipped. */
type Names = Map<string, string>;

async function convertLayer(g: GraphBuilder, layer: tf.layers.Layer, names: Names): Promise<string> {
  const cls = layer.getClassName();
  const cfg = layer.getConfig();
  const ins = inputNamesOf(layer).map((n) => {
    const t = names.get(n);
    if (t === undefined) throw new TimError(`layer '${layer.name}': input '${n}' comes later in the layer list`);
    return t;
  });
  const x = ins[0] ?? '';
  const rank = rankOf(layer);
  const name = layer.name;
  switch (cls) {
    case 'Dropout':
    case 'StochasticDepth':
      return x; // identities at inference
    case 'ZeroPadding2D': {
      const [[top, bottom], [left, right]] = cfg.padding as [[number, number], [number, number]];
      return g.node('Pad', [x, g.int64s(`${name}.pads`, [0, 0, top, left, 0, 0, bottom, right])], name);
    }
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const { values, shapes } = await weightsOf(layer);
      const [kernel, bias] = values;
      const kShape = shapes[0] as [number, number, number, number];
      const [kh, kw, ci, co] = kShape;
      const depthwise = cls === 'DepthwiseConv2D';
      if (depthwise && co !== 1) throw new TimError(`layer '${name}': depthwise multiplier ${co}; ONNX export takes 1`);
      // A depthwise kernel [kh, kw, C, 1] is a grouped convolution's [C, 1, kh, kw].
      const w = depthwise ? convKernelToOihw(kernel as Float32Array, [kh, kw, 1, ci]) : convKernelToOihw(kernel as Float32Array, kShape);
      const wDims = depthwise ? [ci, 1, kh, kw] : [co, ci, kh, kw];
      const inputs = [x, g.floats(`${name}.weight`, wDims, w)];
      if (bias) inputs.push(g.floats(`${name}.bias`, [bias.length], bias));
      const strides = cfg.strides as number[];
      const dilations = (Array.isArray(cfg.dilationRate) ? cfg.dilationRate : [cfg.dilationRate ?? 1, cfg.dilationRate ?? 1]) as number[];
      const attrs: Record<string, Attr> = { kernel_shape: [kh, kw], strides, dilations, group: depthwise ? ci : 1 };
      // tfjs's 'same' pads the extra row and column at the end, as ONNX's SAME_UPPER.
      if (cfg.padding === 'same') attrs.auto_pad = 'SAME_UPPER';
      else attrs.pads = [0, 0, 0, 0];
      return g.node('Conv', inputs, name, attrs);
    }
    case 'BatchNormalization': {
      const { values } = await weightsOf(layer);
      const [gamma, beta, mean, variance] = values as [Float32Array, Float32Array, Float32Array, Float32Array];
      if (values.length !== 4) throw new TimError(`layer '${name}': BatchNormalization without scale or centre is not exported`);
      const c = gamma.length;
      return g.node(
        'BatchNormalization',
        [x, g.floats(`${name}.weight`, [c], gamma), g.floats(`${name}.bias`, [c], beta), g.floats(`${name}.running_mean`, [c], mean), g.floats(`${name}.running_var`, [c], variance)],
        name,
        { epsilon: { float: cfg.epsilon as number } },
      );
    }
    case 'ChannelLayerNorm': {
      const { values } = await weightsOf(layer);
      const [gamma, beta] = values as [Float32Array, Float32Array];
      const c = gamma.length;
      const mean = g.node('ReduceMean', [x], `${name}.mean`, { axes: [1], keepdims: 1 });
      const centred = g.node('Sub', [x, mean], `${name}.centred`);
      const square = g.node('Mul', [centred, centred], `${name}.square`);
      const variance = g.node('ReduceMean', [square], `${name}.var`, { axes: [1], keepdims: 1 });
      const std = g.node('Sqrt', [g.node('Add', [variance, g.scalar(cfg.epsilon as number)], `${name}.var_eps`)], `${name}.std`);
      const normed = g.node('Div', [centred, std], `${name}.normed`);
      const scaled = g.node('Mul', [normed, g.floats(`${name}.weight`, channelShape(c, rank), gamma)], `${name}.scaled`);
      return g.node('Add', [scaled, g.floats(`${name}.bias`, channelShape(c, rank), beta)], name);
    }
    case 'LayerScale': {
      const { values } = await weightsOf(layer);
      const gamma = values[0] as Float32Array;
      return g.node('Mul', [x, g.floats(`${name}.gamma`, channelShape(gamma.length, rank), gamma)], name);
    }
    case 'ReLU':
      if (cfg.maxValue !== null && cfg.maxValue !== undefined) throw new TimError(`layer '${name}': ReLU with a maximum is not exported`);
      return g.node('Relu', [x], name);
    case 'Activation':
      return activationNode(g, cfg.activation as string, x, name);
    case 'Add':
      return g.node('Add', ins, name);
    case 'Multiply':
      return g.node('Mul', ins, name);
    case 'MaxPooling2D': {
      if (cfg.padding !== 'valid') throw new TimError(`layer '${name}': only 'valid' max pooling is exported`);
      return g.node('MaxPool', [x], name, { kernel_shape: cfg.poolSize as number[], strides: cfg.strides as number[] });
    }
    case 'GlobalAveragePooling2D':
      return g.node('Flatten', [g.node('GlobalAveragePool', [x], `${name}.pool`)], name, { axis: 1 });
    case 'Reshape': {
      const target = cfg.targetShape as number[];
      // [N, C] → [N, 1, 1, C] in NHWC is [N, C, 1, 1] in NCHW; other reshapes would mix layouts.
      if (target.length !== 3 || target[0] !== 1 || target[1] !== 1) throw new TimError(`layer '${name}': reshape to [${target.join(', ')}] is not exported`);
      return g.node('Reshape', [x, g.int64s(`${name}.shape`, [0, target[2] as number, 1, 1])], name);
    }
    case 'Dense': {
      const { values, shapes } = await weightsOf(layer);
      const [kernel, bias] = values as [Float32Array, Float32Array | undefined];
      const [inUnits, outUnits] = shapes[0] as [number, number];
      if (cfg.activation !== 'linear') throw new TimError(`layer '${name}': Dense with activation '${JSON.stringify(cfg.activation)}' is not exported`);
      if (rank === 4) {
        // A Dense on each pixel's channels is a 1×1 convolution in NCHW.
        const inputs = [x, g.floats(`${name}.weight`, [outUnits, inUnits, 1, 1], convKernelToOihw(kernel, [1, 1, inUnits, outUnits]))];
        if (bias) inputs.push(g.floats(`${name}.bias`, [outUnits], bias));
        return g.node('Conv', inputs, name, { kernel_shape: [1, 1] });
      }
      if (rank !== 2) throw new TimError(`layer '${name}': Dense on rank-${rank} input is not exported`);
      const inputs = [x, g.floats(`${name}.weight`, [inUnits, outUnits], kernel)];
      if (bias) inputs.push(g.floats(`${name}.bias`, [outUnits], bias));
      return g.node('Gemm', inputs, name);
    }
    default:
      throw new TimError(`layer '${name}' (${cls}) has no ONNX counterpart in Tim's exporter`);
  }
}

function activationNode(g: GraphBuilder, kind: string, x: string, name: string): string {
  switch (kind) {
    case 'relu':
      return g.node('Relu', [x], name);
    case 'sigmoid':
      return g.node('Sigmoid', [x], name);
    case 'swish':
      return g.node('Mul', [x, g.node('Sigmoid', [x], `${name}.sigmoid`)], name);
    case 'gelu': {
      // The exact (erf) GELU, as tfjs and torchvision compute it; opset 17 has no Gelu op.
      const erf = g.node('Erf', [g.node('Mul', [x, g.scalar(Math.SQRT1_2)], `${name}.scaled`)], `${name}.erf`);
      const half = g.node('Mul', [x, g.scalar(0.5)], `${name}.half`);
      return g.node('Mul', [half, g.node('Add', [erf, g.scalar(1)], `${name}.one_plus`)], name);
    }
    case 'linear':
      return x;
    default:
      throw new TimError(`layer '${name}': activation '${kind}' has no ONNX counterpart in Tim's exporter`);
  }
}

/**
 * Converts a single-input, single-output layers model. The graph input is NHWC with free
 * batch, height and width; the output is [batch, classes].
 */
export async function layersModelToOnnxGraph(model: tf.LayersModel, graphName: string): Promise<GraphJson> {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new TimError(`model '${model.name}': ONNX export takes one input and one output`);
  const g = new GraphBuilder();
  const names: Names = new Map();
  const inputName = g.unique('input');
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') {
      const shape = layer.outputShape as tf.Shape;
      if (shape.length !== 4) throw new TimError(`model '${model.name}': ONNX export takes an image input [batch, height, width, channels]`);
      names.set(layer.name, g.node('Transpose', [inputName], 'input_nchw', { perm: [0, 3, 1, 2] }));
      continue;
    }
    names.set(layer.name, await convertLayer(g, layer, names));
  }
  const outLayer = model.outputs[0]?.sourceLayer;
  const last = outLayer ? names.get(outLayer.name) : undefined;
  if (!outLayer || last === undefined) throw new TimError(`model '${model.name}': no output layer`);
  const outputClasses = (outLayer.outputShape as tf.Shape)[1] ?? 0;
  const channels = (model.inputs[0]?.shape[3] as number | null) ?? 3;
  const output = g.node('Identity', [last], 'logits');
  return {
    name: graphName,
    node: g.nodes,
    initializer: g.initializers,
    input: [valueInfo(inputName, ['batch', 'height', 'width', channels])],
    output: [valueInfo(output, ['batch', outputClasses])],
  };
}
