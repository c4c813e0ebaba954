import { ENTRY_BUILTINS, FLAT_GROUP, gridOf, type TimMultiOutputProgram } from './dispatch';

/**
 * Per-channel reductions over the rows of a channels-last [rows, C] tensor in two dispatches,
 * the shape of BatchNorm's forward and backward passes:
 *   1. partial sums: workgroups over (channel tile × chunk of rows), each thread summing at most
 *      ROWS_PER_THREAD rows of one channel, the lanes of a workgroup added in shared memory;
 *      writes [chunks, 2, C];
 *   2. apply: workgroups over (channel tile × block of rows) add up the chunks of their channels
 *      (together, a few loads each), compute per-channel coefficients once, then write every
 *      element of their block and, from the first block, the per-channel outputs.
 * Threads of a workgroup cover CT consecutive channels (coalesced reads) × LANES rows.
 */
const THREADS = 256;
const ROWS_PER_THREAD = 1024;
const APPLY_ROWS_PER_THREAD = 64;

export interface ChannelLayout {
  rows: number;
  c: number;
  /** Channels per workgroup tile (a power of two up to 64). */
  ct: number;
  lanes: number;
  tiles: number;
  /** Rows per partial-sum chunk and the number of chunks. */
  chunkRows: number;
  chunks: number;
  /** Rows per block of the apply pass and the number of blocks. */
  blockRows: number;
  blocks: number;
}

export function channelLayout(rows: number, c: number): ChannelLayout {
  let ct = 1;
  while (ct < Math.min(64, c)) ct *= 2;
  const lanes = THREADS / ct;
  const chunkRows = lanes * ROWS_PER_THREAD;
  const blockRows = lanes * APPLY_ROWS_PER_THREAD;
  return { rows, c, ct, lanes, tiles: Math.ceil(c / ct), chunkRows, chunks: Math.ceil(rows / chunkRows), blockRows, blocks: Math.ceil(rows / blockRows) };
}

/** WGSL: this thread's channel `c`, lane, tile and row range from the workgroup's flat index. */
function threadPosition(l: ChannelLayout, rowsPerGroup: number): string {
  return `
  let g = i32(${FLAT_GROUP});
  let tile = g % ${l.tiles};
  let part = g / ${l.tiles};
  let lane = i32(li) / ${l.ct};
  let c = tile * ${l.ct} + i32(li) % ${l.ct};
  let inChannel = c < ${l.c};
  let rowBegin = part * ${rowsPerGroup};
  let rowEnd = min(rowBegin + ${rowsPerGroup}, ${l.rows});`;
}

/** WGSL: adds shA/shB over the lanes of each channel, into lane 0's slots. */
function reduceLanes(l: ChannelLayout): string {
  let code = '';
  for (let stride = l.lanes / 2; stride >= 1; stride /= 2) {
    code += `
  workgroupBarrier();
  if (lane < ${stride}) { shA[li] += shA[li + ${stride * l.ct}u]; shB[li] += shB[li + ${stride * l.ct}u]; }`;
  }
  return `${code}\n  workgroupBarrier();`;
}

/**
 * Pass 1: per chunk and channel, the sums of two expressions of row `r` (WGSL in terms of
 * `r`, `c` and the inputs; `at(r)` is the flat index r·C + c).
 */
export function partialSumsProgram(name: string, l: ChannelLayout, inputs: string[], first: string, second: string, prologue = ''): TimMultiOutputProgram {
  return {
    shaderKey: `${name}_${l.rows}_${l.c}`,
    variableNames: inputs,
    outputShapes: [[l.chunks, 2, l.c]],
    outputShape: [l.chunks, 2, l.c],
    uniformFields: [{ name: 'unused', type: 'i32' }],
    dispatchLayout: { x: [0] },
    dispatch: gridOf(l.tiles * l.chunks),
    workgroupSize: [THREADS, 1, 1],
    serialMultiplyAdds: Math.ceil(Math.min(l.chunkRows, l.rows) / l.lanes),
    getUserCode: () => `
var<workgroup> shA : array<f32, ${THREADS}>;
var<workgroup> shB : array<f32, ${THREADS}>;
fn at(r : i32, c : i32) -> i32 { return r * ${l.c} + c; }
@compute @workgroup_size(${THREADS}) fn main(${ENTRY_BUILTINS}) {
  ${threadPosition(l, l.chunkRows)}
  var a = 0.0;
  var b = 0.0;
  if (inChannel) {
    ${prologue}
    for (var r = rowBegin + lane; r < rowEnd; r += ${l.lanes}) {
      a += ${first};
      b += ${second};
    }
  }
  shA[li] = a;
  shB[li] = b;
  ${reduceLanes(l)}
  if (lane == 0 && inChannel) {
    out0[part * ${2 * l.c} + c] = shA[li];
    out0[part * ${2 * l.c} + ${l.c} + c] = shB[li];
  }
}`,
  };
}

/**
 * Pass 2: `P` (pass 1's output) summed per channel into `sumA`, `sumB`; then `coefficients`
 * (WGSL defining `k0`, `k1`, `k2` and the per-channel outputs' values from them and the inputs) once
 * per channel, written to the per-channel outputs out1… by the first block as `perChannel`
 * says; then `element` (WGSL assigning out0[at(r, c)] from k0…k2 and the inputs) for each row.
 */
export function applyProgram(spec: {
  name: string;
  layout: ChannelLayout;
  inputs: string[];
  elementShape: number[];
  /** Statements computing `k0`, `k1`, `k2` (f32) and the per-channel values from sumA, sumB, c. */
  coefficients: string;
  /** Names of the per-channel values written to out1, out2, … */
  perChannel: string[];
  element: string;
  uniforms?: { name: string; type: 'i32' | 'f32' }[];
}): TimMultiOutputProgram {
  const l = spec.layout;
  const writes = spec.perChannel.map((v, i) => `out${i + 1}[c] = ${v};`).join(' ');
  return {
    shaderKey: `${spec.name}_${l.rows}_${l.c}`,
    variableNames: ['P', ...spec.inputs],
    outputShapes: [spec.elementShape, ...spec.perChannel.map(() => [l.c])],
    outputShape: spec.elementShape,
    uniformFields: spec.uniforms ?? [{ name: 'unused', type: 'i32' }],
    dispatchLayout: { x: [0] },
    dispatch: gridOf(l.tiles * l.blocks),
    workgroupSize: [THREADS, 1, 1],
    serialMultiplyAdds: Math.ceil(l.chunks / l.lanes) + Math.ceil(Math.min(l.blockRows, l.rows) / l.lanes),
    getUserCode: () => `
var<workgroup> shA : array<f32, ${THREADS}>;
var<workgroup> shB : array<f32, ${THREADS}>;
var<workgroup> shK0 : array<f32, ${l.ct}>;
var<workgroup> shK1 : array<f32, ${l.ct}>;
var<workgroup> shK2 : array<f32, ${l.ct}>;
fn at(r : i32, c : i32) -> i32 { return r * ${l.c} + c; }
@compute @workgroup_size(${THREADS}) fn main(${ENTRY_BUILTINS}) {
  ${threadPosition(l, l.blockRows)}
  var a = 0.0;
  var b = 0.0;
  if (inChannel) {
    for (var s = lane; s < ${l.chunks}; s += ${l.lanes}) {
      a += P[s * ${2 * l.c} + c];
      b += P[s * ${2 * l.c} + ${l.c} + c];
    }
  }
  shA[li] = a;
  shB[li] = b;
  ${reduceLanes(l)}
  let cl = i32(li) % ${l.ct};
  if (lane == 0 && inChannel) {
    let sumA = shA[li];
    let sumB = shB[li];
    ${spec.coefficients}
    shK0[cl] = k0;
    shK1[cl] = k1;
    shK2[cl] = k2;
    if (part == 0) { ${writes} }
  }
  workgroupBarrier();
  if (inChannel) {
    let k0 = shK0[cl];
    let k1 = shK1[cl];
    let k2 = shK2[cl];
    for (var r = rowBegin + lane; r < rowEnd; r += ${l.lanes}) {
      ${spec.element}
    }
  }
}`,
  };
}

/** Pass 2 without elements: pass 1's chunks summed per channel into out0 (first sums) and out1 (second). */
export function finishSumsProgram(name: string, l: ChannelLayout): TimMultiOutputProgram {
  return {
    shaderKey: `${name}_${l.chunks}_${l.c}`,
    variableNames: ['P'],
    outputShapes: [[l.c], [l.c]],
    outputShape: [l.c],
    uniformFields: [{ name: 'unused', type: 'i32' }],
    dispatchLayout: { x: [0] },
    dispatch: gridOf(Math.ceil(l.c / 64)),
    workgroupSize: [64, 1, 1],
    serialMultiplyAdds: l.chunks,
    getUserCode: () => `
@compute @workgroup_size(64) fn main(${ENTRY_BUILTINS}) {
  let c = i32((${FLAT_GROUP}) * 64u + li);
  if (c >= ${l.c}) { return; }
  var a = 0.0;
  var b = 0.0;
  for (var s = 0; s < ${l.chunks}; s++) {
    a += P[s * ${2 * l.c} + c];
    b += P[s * ${2 * l.c} + ${l.c} + c];
  }
  out0[c] = a;
  out1[c] = b;
}`,
  };
}
