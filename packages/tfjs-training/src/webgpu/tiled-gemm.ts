/**
 * The WGSL body shared by Tim's GEMM-shaped programs: one 16×16 workgroup computes a 64×64 tile
 * of C[row, col] = Σ_k A[row, k]·B[k, col], staging 16-deep slices of A and B in workgroup
 * memory; each invocation keeps a 4×4 block of C in registers (rows ty + 16i, columns tx + 16j,
 * so neighbouring invocations write neighbouring columns). Each of its 16 sums is its own
 * dependency chain: a program's serialMultiplyAdds is the reduction span of a workgroup, and an
 * invocation does 16 times that in all (GEMM_SLICE_MAX keeps this within 16,384).
 *
 * A program supplies, in WGSL:
 *   fn prepare()                        run by every invocation first (per-workgroup constants)
 *   fn span() -> vec2<i32>              [kBegin, kEnd) of this workgroup's reduction slice
 *   fn loadA(row, k, kEnd: i32) -> f32  zero outside the matrix or the slice
 *   fn loadB(k, col, kEnd: i32) -> f32
 *   fn store(row, col: i32, value: f32) ignoring positions outside C
 * and says which index runs fastest across invocations when a slice is loaded (the one that is
 * contiguous in memory), so that global reads are coalesced.
 */
export const TILE = 64;
export const DEPTH = 16;
const SIDE = 16;
const PER = TILE / SIDE;

export const GEMM_WORKGROUP: [number, number, number] = [SIDE, SIDE, 1];

/** Workgroups of 256 invocations that fill a large GPU: an H100 holds about 1,000 at once. */
export const GEMM_TARGET_WORKGROUPS = 1024;

/**
 * The longest reduction slice of a tiled product: an invocation's 16 sums over it then make
 * 16,384 multiply-adds in all, the most any of Tim's gradient invocations does.
 */
export const GEMM_SLICE_MAX = 1024;

export interface GemmLoadOrder {
  /** Whether consecutive invocations load consecutive k of A (else consecutive rows). */
  aAlongK: boolean;
  /** Whether consecutive invocations load consecutive k of B (else consecutive columns). */
  bAlongK: boolean;
}

function slot(e: string, alongK: boolean): { k: string; i: string } {
  return alongK ? { k: `${e} % ${DEPTH}`, i: `${e} / ${DEPTH}` } : { k: `${e} / ${TILE}`, i: `${e} % ${TILE}` };
}

/** The main function of a tiled product over the program's prepare/span/loadA/loadB/store. */
export function tiledGemmMain(order: GemmLoadOrder): string {
  const loadsPerInvocation = (TILE * DEPTH) / (SIDE * SIDE);
  const a = slot('e', order.aAlongK);
  const b = slot('e', order.bAlongK);
  const products: string[] = [];
  for (let i = 0; i < PER; i++) for (let j = 0; j < PER; j++) products.push(`acc[${i * PER + j}] = fma(a${i}, b${j}, acc[${i * PER + j}]);`);
  const aReads = Array.from({ length: PER }, (_, i) => `let a${i} = tileA[k * ${TILE} + ty + ${SIDE * i}];`).join('\n        ');
  const bReads = Array.from({ length: PER }, (_, j) => `let b${j} = tileB[k * ${TILE} + tx + ${SIDE * j}];`).join('\n        ');
  const stores: string[] = [];
  for (let i = 0; i < PER; i++) for (let j = 0; j < PER; j++) stores.push(`store(row0 + ty + ${SIDE * i}, col0 + tx + ${SIDE * j}, acc[${i * PER + j}]);`);
  return `
  var<workgroup> tileA : array<f32, ${TILE * DEPTH}>;
  var<workgroup> tileB : array<f32, ${TILE * DEPTH}>;
  var<workgroup> sliceOfGroup : vec2<i32>;

  fn main() {
    prepare();
    let tx = i32(localId.x);
    let ty = i32(localId.y);
    let lid = ty * ${SIDE} + tx;
    let col0 = i32(workgroupId.x) * ${TILE};
    let row0 = i32(workgroupId.y) * ${TILE};
    if (lid == 0) {
      sliceOfGroup = span();
    }
    // Read back as a workgroup-uniform value: the barriers below sit in a loop bounded by it.
    let slice = workgroupUniformLoad(&sliceOfGroup);
    let steps = (slice.y - slice.x + ${DEPTH - 1}) / ${DEPTH};
    var acc : array<f32, ${PER * PER}>;
    for (var step = 0; step < steps; step++) {
      let k0 = slice.x + step * ${DEPTH};
      for (var l = 0; l < ${loadsPerInvocation}; l++) {
        let e = lid + l * ${SIDE * SIDE};
        tileA[(${a.k}) * ${TILE} + ${a.i}] = loadA(row0 + ${a.i}, k0 + ${a.k}, slice.y);
        tileB[(${b.k}) * ${TILE} + ${b.i}] = loadB(k0 + ${b.k}, col0 + ${b.i}, slice.y);
      }
      workgroupBarrier();
      for (var k = 0; k < ${DEPTH}; k++) {
        ${aReads}
        ${bReads}
        ${products.join('\n        ')}
      }
      workgroupBarrier();
    }
    ${stores.join('\n    ')}
  }
  `;
}

/** The workgroup grid of a tiled product of `rows` × `cols`, `layers` times (split-K slices, phases). */
export function gemmDispatch(rows: number, cols: number, layers: number): [number, number, number] {
  return [Math.ceil(cols / TILE), Math.ceil(rows / TILE), layers];
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
