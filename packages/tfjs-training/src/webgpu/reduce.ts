import * as tf from '@tensorflow/tfjs';
import { type KernelTable, runStockKernel } from '../kernel-registry';
import { ENTRY_BUILTINS, FLAT_GROUP, gridOf, runTimProgram, type TimMultiOutputProgram } from './dispatch';

/**
 * Sum and Mean over axes that leave the last one, as a channels-last model asks for them (the
 * gradients of biases and of squeeze-and-excitation scales, global average pooling): the stock
 * kernels transpose the reduced axes innermost first, two dispatches; this reads [A, R, C] in
 * place, one invocation per (a, c), neighbouring invocations on neighbouring channels. Other
 * reductions, and those longer than REDUCE_SERIAL_MAX, go to the stock kernels.
 */
const THREADS = 64;
/**
 * The longest sum one invocation makes here. Longer ones (a dense layer's bias gradient over
 * every pixel of the batch: 100,352 at ConvNeXt's first stage) go to the stock kernels, whose
 * workgroups share each sum.
 */
export const REDUCE_SERIAL_MAX = 16_384;

/** [A, R, C] when `axes` are contiguous and end before the last axis; else undefined. */
function blockShape(shape: number[], axes: number[]): [number, number, number] | undefined {
  const sorted = [...axes].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined || last >= shape.length - 1 || last - first !== sorted.length - 1) return undefined;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return [size(0, first), size(first, last + 1), size(last + 1, shape.length)];
}

function reduceProgram(name: string, [a, r, c]: [number, number, number], outShape: number[]): TimMultiOutputProgram {
  return {
    shaderKey: `${name}_${a}_${r}_${c}`,
    variableNames: ['X'],
    outputShapes: [outShape],
    outputShape: outShape,
    uniformFields: [{ name: 'scale', type: 'f32' }],
    dispatchLayout: { x: [0] },
    dispatch: gridOf(Math.ceil((a * c) / THREADS)),
    workgroupSize: [THREADS, 1, 1],
    serialMultiplyAdds: r,
    getUserCode: () => `
@compute @workgroup_size(${THREADS}) fn main(${ENTRY_BUILTINS}) {
  let i = i32((${FLAT_GROUP}) * ${THREADS}u + li);
  if (i >= ${a * c}) { return; }
  let a = i / ${c};
  let c = i % ${c};
  var s = 0.0;
  for (var r = 0; r < ${r}; r++) { s += X[(a * ${r} + r) * ${c} + c]; }
  out0[i] = s * u.scale;
}`,
  };
}

function reduceKernel(kernelName: 'Sum' | 'Mean'): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const block = x.dtype === 'float32' ? blockShape(x.shape, axes) : undefined;
    if (!block || block[1] > REDUCE_SERIAL_MAX) return runStockKernel(kernelName, 'webgpu', args);
    const outShape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
    const [out] = runTimProgram(args.backend, reduceProgram(`Tim${kernelName}`, block, outShape), [x], [kernelName === 'Mean' ? 1 / block[1] : 1]);
    return out as tf.TensorInfo;
  };
}

/** Tim's Sum and Mean for webgpu (replacing the stock ones for channels-last reductions). */
export function webgpuReduceKernels(): KernelTable {
  return { Sum: reduceKernel('Sum'), Mean: reduceKernel('Mean') };
}
