import type * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { UniformField } from './access';
import { isTimProgram } from './program';

/** One GPU dispatch as the report lists it. */
export interface DispatchRecord {
  /** The program's class (stock) or name (Tim's). */
  program: string;
  /** Whether the program is one of Tim's. */
  tim: boolean;
  /** Invocations started: workgroups × workgroup size. */
  invocations: number;
  /** Multiply-adds one invocation does one after another; only for convolutions and matrix products. */
  serialMultiplyAdds?: number;
  /** Storage buffers the program binds (Tim's programs). */
  storageBuffers?: number;
}

type Listener = (record: DispatchRecord) => void;
const listeners = new Set<Listener>();

/** Calls `listener` with every dispatch until the returned function is called. */
export function onDispatch(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells the listeners about one dispatch (Tim's runner and the stock-program hook call this). */
export function recordDispatch(record: DispatchRecord): void {
  for (const l of listeners) l(record);
}

export const isDispatchRecording = (): boolean => listeners.size > 0;

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Whether a stock program is a convolution or a matrix product (the ones with long serial loops). */
export function isConvOrMatmul(programName: string): boolean {
  return /conv|matmul|depthwise/i.test(programName);
}

/** The stock program's uniform values by name (`uniforms` declares them in the order they are passed). */
function uniformValues(program: WebGPUProgram, fields: UniformField[] | undefined): Map<string, number[]> {
  const names = (program.uniforms ?? '')
    .split(',')
    .map((d) => d.split(':')[0]?.trim() ?? '')
    .filter((n) => n !== '');
  const out = new Map<string, number[]>();
  names.forEach((n, i) => {
    const f = fields?.[i];
    if (f) out.set(n, f.data);
  });
  return out;
}

/**
 * The multiply-adds one invocation of a stock convolution or matrix-product program does one
 * after another, from the program's type and shapes (tfjs-backend-webgpu 4.22): the reduction
 * length of one output element times the output elements one invocation computes.
 *   matrix products, implicit-GEMM convolutions: dimInner (128 per chunk for the split-K one);
 *   Conv2DDerFilter and the depthwise one: batch × out-height × out-width (one weight each);
 *   the naive Conv2DDerInput: filter-height × filter-width × out-channels;
 *   direct convolutions: filter-height × filter-width (× in-channels unless depthwise).
 */
export function stockSerialMultiplyAdds(program: WebGPUProgram, inputs: tf.TensorInfo[], fields: UniformField[] | undefined): number | undefined {
  const name = program.constructor.name;
  if (!isConvOrMatmul(name)) return undefined;
  const u = uniformValues(program, fields);
  const invocations = product(program.dispatch) * product(program.workgroupSize);
  const perInvocation = Math.max(1, Math.ceil(product(program.outputShape) / invocations));
  const split: unknown = Reflect.get(program, 'splitedDimInner');
  const first = (key: string): number | undefined => u.get(key)?.[0];
  let reduction: number | undefined;
  if (typeof split === 'number') reduction = split;
  else if (first('dimInner') !== undefined) reduction = first('dimInner');
  else if (u.has('batchSize') && u.has('outHeight') && u.has('outWidth')) reduction = (first('batchSize') ?? 1) * (first('outHeight') ?? 1) * (first('outWidth') ?? 1);
  else if (u.has('outBackprop') && u.has('filterDims')) reduction = product(u.get('filterDims') ?? []) * (u.get('outBackprop')?.[3] ?? 1);
  else {
    const w = inputs[program.variableNames.indexOf('W')];
    if (w && w.shape.length === 4) reduction = (w.shape[0] ?? 1) * (w.shape[1] ?? 1) * (/depthwise/i.test(name) ? 1 : (w.shape[2] ?? 1));
  }
  return reduction === undefined ? undefined : reduction * perInvocation;
}

/** A program's class name, or for one made as a plain object the start of its shader key. */
export function programName(program: WebGPUProgram): string {
  const name = program.constructor.name;
  return name && name !== 'Object' ? name : (program.shaderKey.split('_')[0] ?? program.shaderKey);
}

/** The record of a program that runWebGPUProgram dispatched. */
export function recordOfProgram(program: WebGPUProgram, inputs: tf.TensorInfo[], fields: UniformField[] | undefined): DispatchRecord {
  const invocations = product(program.dispatch) * product(program.workgroupSize);
  if (isTimProgram(program)) {
    // The backend binds one output beside the inputs.
    return { program: programName(program), tim: true, invocations, serialMultiplyAdds: program.serialMultiplyAdds, storageBuffers: program.variableNames.length + 1 };
  }
  const serial = stockSerialMultiplyAdds(program, inputs, fields);
  return { program: program.constructor.name, tim: false, invocations, ...(serial !== undefined ? { serialMultiplyAdds: serial } : {}) };
}
