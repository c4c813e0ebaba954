import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadWasmForTraining } from '../support/wasm';
import { splitRows } from '../../src/wasm/kernel-pool';
import { fusedMultiplyAdd, instantiate, type SimdKernels } from '../../src/wasm/simd';

const ROOT = path.resolve(__dirname, '../../../..');

/** A fresh plain heap with the kernels (with or without fused multiply-adds) bound to it. */
function kernelsOnNewHeap(fma: boolean): { k: SimdKernels; heap: Float32Array } {
  const memory = new WebAssembly.Memory({ initial: 160 });
  const bound = instantiate(memory, fma);
  if (!bound) throw new Error('kernels did not instantiate');
  return { k: bound.kernels, heap: new Float32Array(memory.buffer) };
}

interface Layout {
  name: string;
  m: number;
  k: number;
  n: number;
  /** Strides of A in floats: element (i, p) at i·rs + p·cs. */
  rs: (m: number, k: number) => number;
  cs: (m: number, k: number) => number;
}

// Row-major (the transposing pack), column-major (the straight pack), and padded rows (the
// element-by-element pack); row tails, depths past one block of 256 and depths not in fours,
// and more rows than one block of 128.
const LAYOUTS: Layout[] = [
  { name: 'row-major', m: 13, k: 300, n: 16, rs: (_m, k) => k, cs: () => 1 },
  { name: 'row-major, odd depth', m: 7, k: 261, n: 8, rs: (_m, k) => k, cs: () => 1 },
  { name: 'column-major', m: 10, k: 37, n: 24, rs: () => 1, cs: (m) => m },
  { name: 'padded rows', m: 5, k: 9, n: 8, rs: (_m, k) => k + 3, cs: () => 1 },
  { name: 'many rows', m: 261, k: 20, n: 8, rs: (_m, k) => k, cs: () => 1 },
];

describe('SIMD matrix kernels', () => {
  // The fused build exists only where the engine has relaxed SIMD (tim doctor says so).
  for (const fma of fusedMultiplyAdd() ? [true, false] : [false]) {
    it.each(LAYOUTS)(`gemm ${fma ? 'with' : 'without'} fused multiply-adds matches a float64 product: $name`, ({ m, k, n, rs, cs }) => {
      const { k: kernels, heap } = kernelsOnNewHeap(fma);
      const ars = rs(m, k);
      const aps = cs(m, k);
      const aLen = (m - 1) * ars + (k - 1) * aps + 1;
      // Float offsets of A, B, packed B, C, and the pack space for A.
      const A = 64;
      const B = A + aLen + 64;
      const BP = B + k * n + 64;
      const C = BP + k * n + 64;
      const AP = C + m * n + 64;
      for (let i = 0; i < aLen; i++) heap[A + i] = Math.sin(i * 0.37) + 0.1;
      for (let i = 0; i < k * n; i++) heap[B + i] = Math.cos(i * 0.11);
      for (let i = 0; i < m * n; i++) heap[C + i] = i % 7;
      const expected: number[] = [];
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += (heap[A + i * ars + p * aps] as number) * (heap[B + p * n + j] as number);
          expected.push(s);
        }
      }
      kernels.pack_b({ b_ptr: 4 * B, ldb: n, packed_ptr: 4 * BP, k, n });
      const product = { a_ptr: 4 * A, a_row_bytes: 4 * ars, a_step_bytes: 4 * aps, packed_b_ptr: 4 * BP, c_ptr: 4 * C, ldc: n, m, n, k, a_pack_ptr: 4 * AP };
      kernels.gemm({ ...product, accumulate: 0 });
      const overwritten = Array.from(heap.subarray(C, C + m * n));
      kernels.gemm({ ...product, accumulate: 1 });
      const added = Array.from(heap.subarray(C, C + m * n));
      const scale = Math.max(...expected.map(Math.abs));
      for (let i = 0; i < expected.length; i++) {
        expect(Math.abs((overwritten[i] as number) - (expected[i] as number)) / scale).toBeLessThan(1e-5);
        expect(Math.abs((added[i] as number) - 2 * (expected[i] as number)) / scale).toBeLessThan(1e-5);
      }
      // Nothing past C was written.
      expect(heap[C + m * n]).toBe(0);
    });
  }

  it('splits rows into ranges that start on tiles of 4 and cover every row once', () => {
    for (const [m, parts] of [[1, 2], [7, 2], [8, 2], [130, 3], [5, 8]] as const) {
      const ranges = splitRows(m, parts);
      expect(ranges.length).toBeLessThanOrEqual(parts);
      expect(ranges[0]?.[0]).toBe(0);
      expect(ranges[ranges.length - 1]?.[1]).toBe(m);
      for (let i = 0; i < ranges.length; i++) {
        const [r0, r1] = ranges[i] as [number, number];
        expect(r0 % 4).toBe(0);
        expect(r1).toBeGreaterThan(r0);
        if (i > 0) expect(r0).toBe((ranges[i - 1] as [number, number])[1]);
      }
    }
  });

  it('convolutions and matmuls on them leave no tensors behind', async () => {
    expect(loadWasmForTraining()).toBe(true);
    await tf.setBackend('wasm');
    const x = tf.randomNormal<tf.Rank.R4>([2, 9, 9, 8]);
    const w = tf.randomNormal<tf.Rank.R4>([3, 3, 8, 16]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.conv2d(x, w, 2, 'same');
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))([x, w]);
      tf.matMul(tf.reshape(x, [18, 72]), tf.reshape(w, [72, 16]), false, false);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
    await tf.setBackend('cpu');
  });

  it('split across worker threads on the shared heap, they match cpu and the process exits by itself', () => {
    const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'threaded-matrix-check.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, TIM_WASM_THREADS: '2' },
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { threads: number; maxRelativeError: number; cpusRestored: boolean };
    expect(out.threads).toBe(2);
    // The os.cpus patch that let the backend start two threads is undone once it has.
    expect(out.cpusRestored).toBe(true);
    expect(out.maxRelativeError).toBeLessThan(1e-4);
  }, 70_000);
});
