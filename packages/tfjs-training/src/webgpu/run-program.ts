import type * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TimWebGPUProgram } from './program';

/**
 * Integer uniforms of one of Tim's programs, by name: the WGSL struct fields they declare and
 * the values in the same order. Geometry goes in uniforms (not in the shader text) so that one
 * compiled pipeline serves every layer of a network.
 */
export class IntUniforms {
  readonly names: string[];
  readonly values: number[];
  constructor(fields: Record<string, number>) {
    this.names = Object.keys(fields);
    this.values = Object.values(fields);
  }
  /** The declaration tfjs appends to its uniform struct. */
  declaration(): string {
    return this.names.map((n) => `${n} : i32,`).join(' ');
  }
}

/**
 * The geometry every convolution-gradient program reads, as uniforms: x's and dy's height,
 * width (and x's channels), the filter width, the strides and the top and left padding.
 */
export function convUniforms(info: tf.backend_util.Conv2DInfo): Record<string, number> {
  return {
    xh: info.inHeight,
    xw: info.inWidth,
    xc: info.inChannels,
    yh: info.outHeight,
    yw: info.outWidth,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
  };
}

/** A Tim program whose integer uniforms are its own. */
export interface UniformProgram extends TimWebGPUProgram {
  readonly intUniforms: IntUniforms;
}

/** Runs `program` on the webgpu backend with its own uniforms; the caller owns the result. */
export function runProgram(backend: WebGPUBackend, program: UniformProgram, inputs: tf.TensorInfo[]): tf.TensorInfo {
  const uniforms = program.intUniforms.values.map((v) => ({ type: 'int32', data: [v] }));
  return backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
}

/** Runs `programs` in turn, each on the last one's output (the first on `inputs`), freeing what passes. */
export function runPrograms(backend: WebGPUBackend, programs: readonly UniformProgram[], inputs: tf.TensorInfo[]): tf.TensorInfo {
  let current = inputs;
  let out: tf.TensorInfo | undefined;
  for (const program of programs) {
    const next = runProgram(backend, program, current);
    if (out) backend.disposeData(out.dataId);
    out = next;
    current = [next];
  }
  if (!out) throw new Error('runPrograms: no program to run');
  return out;
}

/** The largest workgroup count WebGPU guarantees per grid dimension. */
export const GRID_MAX = 65535;

/**
 * The grid tfjs launches for `program`: a one-dimensional grid larger than WebGPU allows is
 * folded into a square (or a cube), which getGlobalIndex undoes; other grids go as they are.
 */
export function launchedGrid(program: UniformProgram): [number, number, number] {
  const [x, y, z] = program.dispatch;
  const flat = !program.dispatchLayout.y?.length && !program.dispatchLayout.z?.length;
  if (!flat || x <= GRID_MAX || y !== 1 || z !== 1) return [x, y, z];
  const side = Math.ceil(Math.sqrt(x));
  if (side <= GRID_MAX) return [side, side, 1];
  const edge = Math.ceil(Math.cbrt(x));
  return [edge, edge, edge];
}
