import { parallelism, runParallel, splitRows } from './kernel-pool';
import { withScratch, type BoundKernels, type HeapBackend, type KernelCall } from './simd';

/** Scratch each thread's gemm packs its block of A into: 128 rows × 256 steps of floats. */
const A_PACK_BYTES = 128 * 256 * 4;

/** Below this many multiply-adds a product runs on one thread: waking a worker costs more. */
const PARALLEL_MIN_MACS = 1 << 20;

/** The kernels' panels are 8 columns wide: C and B need a multiple of 8 columns. */
export function gemmColumnsFit(n: number): boolean {
  return n > 0 && n % 8 === 0;
}

/** A matrix on the heap: element (i, p) at address + i·rowStride + p·colStride (in floats). */
export interface StridedMatrix {
  address: number;
  rowStride: number;
  colStride: number;
}

export interface MatMulSpec {
  /** m × k, read through its strides (so a transposed operand needs no copy). */
  a: StridedMatrix;
  /** k × n, row-major with rows ldb floats apart. */
  b: number;
  ldb: number;
  /** m × n, rows ldc floats apart. */
  c: number;
  ldc: number;
  m: number;
  n: number;
  k: number;
  /** Add to C (true) or overwrite it. */
  accumulate: boolean;
}

/** C (+)= A·B on the SIMD kernels, rows of C shared among the threads. n must be a multiple of 8. */
export function matMulInto(bound: BoundKernels, backend: HeapBackend, spec: MatMulSpec): void {
  const { a, m, n, k } = spec;
  if (!gemmColumnsFit(n)) throw new Error(`matMulInto: ${n} columns is not a multiple of 8`);
  if (m === 0) return;
  if (k === 0) {
    if (!spec.accumulate) for (let i = 0; i < m; i++) new Float32Array(bound.memory.buffer, spec.c + 4 * i * spec.ldc, n).fill(0);
    return;
  }
  const threads = m * n * k < PARALLEL_MIN_MACS ? 1 : parallelism(bound);
  const ranges = splitRows(m, threads);
  withScratch(backend, 4 * k * n + ranges.length * A_PACK_BYTES, (packed) => {
    bound.kernels.pack_b({ b_ptr: spec.b, ldb: spec.ldb, packed_ptr: packed, k, n });
    const aPacks = packed + 4 * k * n;
    const calls: KernelCall[] = ranges.map(([r0, r1], t) => ({
      name: 'gemm',
      params: {
        a_ptr: a.address + 4 * r0 * a.rowStride,
        a_row_bytes: 4 * a.rowStride,
        a_step_bytes: 4 * a.colStride,
        packed_b_ptr: packed,
        c_ptr: spec.c + 4 * r0 * spec.ldc,
        ldc: spec.ldc,
        m: r1 - r0,
        n,
        k,
        accumulate: spec.accumulate ? 1 : 0,
        a_pack_ptr: aPacks + t * A_PACK_BYTES,
      },
    }));
    runParallel(bound, calls);
  });
}

/** The geometry of an NHWC convolution, as computeConv2DInfo gives it. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** The input and output sizes and the padding of a convolution, named as the kernels take them. */
function imageGeometry(g: ConvGeometry): { h: number; w: number; ci: number; ho: number; wo: number; top: number; left: number } {
  return { h: g.inHeight, w: g.inWidth, ci: g.inChannels, ho: g.outHeight, wo: g.outWidth, top: g.padTop, left: g.padLeft };
}

/** Bytes of patch rows each thread gathers at a time: a block that stays in its core's cache. */
const PATCH_BLOCK_BYTES = 512 * 1024;

/**
 * out (+)= conv(x, filter) for an NHWC convolution without dilation, the filter [kh, kw, ci, co]
 * (row-major [kh·kw·ci, co]). A 1×1, stride-1, unpadded filter is a plain product with x; any
 * other is computed from patch rows gathered a block at a time, so no patch matrix is ever whole.
 */
export function convInto(bound: BoundKernels, backend: HeapBackend, g: ConvGeometry, x: number, filter: number, out: number, accumulate: boolean): void {
  const k = g.filterHeight * g.filterWidth * g.inChannels;
  const rows = g.batch * g.outHeight * g.outWidth;
  const co = g.outChannels;
  const pointwise = g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1;
  if (pointwise && g.padTop === 0 && g.padLeft === 0 && g.outHeight === g.inHeight && g.outWidth === g.inWidth) {
    matMulInto(bound, backend, {
      a: { address: x, rowStride: k, colStride: 1 },
      b: filter,
      ldb: co,
      c: out,
      ldc: co,
      m: rows,
      n: co,
      k,
      accumulate,
    });
    return;
  }
  if (!gemmColumnsFit(co)) throw new Error(`convInto: ${co} output channels is not a multiple of 8`);
  if (rows === 0) return;
  if (g.filterHeight === 3 && g.filterWidth === 3 && g.strideHeight === 1 && g.strideWidth === 1 && g.inChannels % 4 === 0) {
    winogradInto(bound, backend, g, x, filter, out, accumulate);
    return;
  }
  const mc = Math.max(32, Math.min(256, Math.floor(PATCH_BLOCK_BYTES / (4 * k) / 4) * 4));
  const threads = rows * co * k < PARALLEL_MIN_MACS ? 1 : parallelism(bound);
  const ranges = splitRows(rows, threads);
  const scratchBytes = 4 * mc * k + A_PACK_BYTES;
  withScratch(backend, 4 * k * co + ranges.length * scratchBytes, (packed) => {
    bound.kernels.pack_b({ b_ptr: filter, ldb: co, packed_ptr: packed, k, n: co });
    const scratch0 = packed + 4 * k * co;
    const calls: KernelCall[] = ranges.map(([r0, r1], t) => ({
      name: 'conv_rows',
      params: {
        x_ptr: x,
        ...imageGeometry(g),
        kh: g.filterHeight,
        kw: g.filterWidth,
        sh: g.strideHeight,
        sw: g.strideWidth,
        packed_filter_ptr: packed,
        out_ptr: out,
        co,
        row_begin: r0,
        row_end: r1,
        scratch_ptr: scratch0 + t * scratchBytes,
        block_rows: mc,
        accumulate: accumulate ? 1 : 0,
        a_pack_ptr: scratch0 + t * scratchBytes + 4 * mc * k,
      },
    }));
    runParallel(bound, calls);
  });
}

/** Bytes of transformed tiles (V and M) each thread keeps at a time. */
const WINOGRAD_BLOCK_BYTES = 2 * 1024 * 1024;

/**
 * A 3×3 stride-1 convolution by Winograd F(2×2, 3×3): 16 multiply-adds per 2×2 outputs and
 * input channel where the direct product needs 36. The filter is transformed and packed once;
 * each thread transforms its own tiles a block at a time.
 */
function winogradInto(bound: BoundKernels, backend: HeapBackend, g: ConvGeometry, x: number, filter: number, out: number, accumulate: boolean): void {
  const ci = g.inChannels;
  const co = g.outChannels;
  const tiles = g.batch * Math.ceil(g.outHeight / 2) * Math.ceil(g.outWidth / 2);
  const tb = Math.max(16, Math.min(256, Math.floor(WINOGRAD_BLOCK_BYTES / (64 * (ci + co)) / 4) * 4));
  const threads = tiles * 16 * ci * co < PARALLEL_MIN_MACS ? 1 : parallelism(bound);
  const ranges = splitRows(tiles, threads);
  const plane = 4 * ci * co;
  // Per thread: V and M for tb tiles, one edge tile, then the pack space for A.
  const transformBytes = 64 * tb * (ci + co) + 64 * ci;
  const scratchBytes = transformBytes + A_PACK_BYTES;
  withScratch(backend, 32 * plane + ranges.length * scratchBytes, (u) => {
    bound.kernels.winograd_filter({ filter_ptr: filter, u_ptr: u, ci, co });
    const packed = u + 16 * plane;
    for (let xi = 0; xi < 16; xi++) bound.kernels.pack_b({ b_ptr: u + xi * plane, ldb: co, packed_ptr: packed + xi * plane, k: ci, n: co });
    const scratch0 = packed + 16 * plane;
    const calls: KernelCall[] = ranges.map(([t0, t1], t) => ({
      name: 'winograd_rows',
      params: {
        x_ptr: x,
        ...imageGeometry(g),
        packed_u_ptr: packed,
        out_ptr: out,
        co,
        tile_begin: t0,
        tile_end: t1,
        scratch_ptr: scratch0 + t * scratchBytes,
        block_tiles: tb,
        accumulate: accumulate ? 1 : 0,
        a_pack_ptr: scratch0 + t * scratchBytes + transformBytes,
      },
    }));
    runParallel(bound, calls);
  });
}
