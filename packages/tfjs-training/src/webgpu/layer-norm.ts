import * as tf from '@tensorflow/tfjs';
import { rowsAndChannels } from '../fused/buffers';
import { LN, LN_GRAD } from '../fused/layer-norm';
import type { KernelTable } from '../kernel-registry';
import { webgpuBackendOf } from './access';
import { channelLayout, finishSumsProgram, partialSumsProgram } from './channel-reduce';
import { ENTRY_BUILTINS, FLAT_GROUP, gridOf, runTimProgram, type TimMultiOutputProgram } from './dispatch';

/**
 * LayerNorm over the last axis (ConvNeXt's channels-last LN over C) on WebGPU. Forward: one
 * dispatch, a workgroup per row. Backward: dx row by row in one dispatch, then dγ and dβ (sums
 * over rows) as a split per-channel reduction in two.
 */
const THREADS = 64;

/** WGSL: adds `sh` over the workgroup into sh[0]. */
function reduceWorkgroup(sh: string): string {
  let code = '';
  for (let stride = THREADS / 2; stride >= 1; stride /= 2) code += `\n  workgroupBarrier();\n  if (li < ${stride}u) { ${sh}[li] += ${sh}[li + ${stride}u]; }`;
  return `${code}\n  workgroupBarrier();`;
}

/** A program with one workgroup per row of a [rows, c] tensor; `body` has `row`, `base` and `c`. */
function rowProgram(name: string, rows: number, c: number, inputs: string[], outputShapes: number[][], body: string): TimMultiOutputProgram {
  return {
    shaderKey: `${name}_${c}`,
    variableNames: inputs,
    outputShapes,
    outputShape: outputShapes[0] ?? [],
    uniformFields: [{ name: 'eps', type: 'f32' }],
    dispatchLayout: { x: [0] },
    dispatch: gridOf(rows),
    workgroupSize: [THREADS, 1, 1],
    serialMultiplyAdds: 2 * Math.ceil(c / THREADS),
    getUserCode: () => `
var<workgroup> shA : array<f32, ${THREADS}>;
var<workgroup> shB : array<f32, ${THREADS}>;
@compute @workgroup_size(${THREADS}) fn main(${ENTRY_BUILTINS}) {
  let row = i32(${FLAT_GROUP});
  let base = row * ${c};
  ${body}
}`,
  };
}

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
  const { rows, c } = rowsAndChannels(x);
  const program = rowProgram('TimLayerNorm', rows, c, ['X', 'GAMMA', 'BETA'], [x.shape, [rows], [rows]], `
  var s = 0.0;
  for (var k = i32(li); k < ${c}; k += ${THREADS}) { s += X[base + k]; }
  shA[li] = s;
  ${reduceWorkgroup('shA')}
  let mean = shA[0] / ${c}.0;
  var v = 0.0;
  for (var k = i32(li); k < ${c}; k += ${THREADS}) { let d = X[base + k] - mean; v += d * d; }
  shB[li] = v;
  ${reduceWorkgroup('shB')}
  let rstd = 1.0 / sqrt(shB[0] / ${c}.0 + u.eps);
  for (var k = i32(li); k < ${c}; k += ${THREADS}) { out0[base + k] = (X[base + k] - mean) * rstd * GAMMA[k] + BETA[k]; }
  if (li == 0u) { out1[row] = mean; out2[row] = rstd; }`);
  return runTimProgram(backend, program, [x, gamma, beta], [(attrs as { epsilon: number }).epsilon]);
};

const backward: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x, gamma, mean, rstd } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'rstd', tf.TensorInfo>;
  const { rows, c } = rowsAndChannels(x);
  // dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)) with g = dy · γ.
  const rowPass = rowProgram('TimLayerNormGradRows', rows, c, ['DY', 'X', 'GAMMA', 'MEAN', 'RSTD'], [x.shape], `
  let m = MEAN[row];
  let inv = RSTD[row];
  var sg = 0.0;
  var sgx = 0.0;
  for (var k = i32(li); k < ${c}; k += ${THREADS}) {
    let g = DY[base + k] * GAMMA[k];
    sg += g;
    sgx += g * (X[base + k] - m) * inv;
  }
  shA[li] = sg;
  shB[li] = sgx;
  ${reduceWorkgroup('shA')}
  ${reduceWorkgroup('shB')}
  let mg = shA[0] / ${c}.0;
  let mgx = shB[0] / ${c}.0;
  for (var k = i32(li); k < ${c}; k += ${THREADS}) {
    out0[base + k] = inv * (DY[base + k] * GAMMA[k] - mg - (X[base + k] - m) * inv * mgx);
  }`);
  const [dx] = runTimProgram(backend, rowPass, [dy, x, gamma, mean, rstd], [0]) as [tf.TensorInfo];
  const l = channelLayout(rows, c);
  const sums = partialSumsProgram('TimLayerNormGradSums', l, ['DY', 'X', 'MEAN', 'RSTD'], 'DY[at(r, c)] * (X[at(r, c)] - MEAN[r]) * RSTD[r]', 'DY[at(r, c)]');
  const [partials] = runTimProgram(backend, sums, [dy, x, mean, rstd], [0]) as [tf.TensorInfo];
  try {
    const [dgamma, dbeta] = runTimProgram(backend, finishSumsProgram('TimLayerNormGradFinish', l), [partials], [0]) as [tf.TensorInfo, tf.TensorInfo];
    return [dx, dgamma, dbeta];
  } finally {
    webgpuBackendOf(backend).disposeData(partials.dataId);
  }
};

/** Tim's fused LayerNorm kernels for webgpu. */
export function webgpuLayerNormKernels(): KernelTable {
  return { [LN]: forward, [LN_GRAD]: backward };
}
