import type * as tfTypes from '@tensorflow/tfjs';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as binaries from '../../src/wasm/simd/kernels-binary';

// The committed binaries and signatures are what kernels.wat compiles to.
const build = require(path.join(__dirname, '..', '..', 'scripts', 'build-wasm-simd.js')) as {
  compile(): Promise<{ plain: string; shared: string; plainNoFma: string; sharedNoFma: string }>;
  signatures(): string;
  exportedSignatures(source: string): { name: string; params: { name: string; type: string }[] }[];
  SIGNATURES_OUTPUT: string;
};

describe('wasm SIMD kernels', () => {
  it('binaries are in step with kernels.wat (npm run build:simd regenerates them)', async () => {
    const fresh = await build.compile();
    expect(fresh.plain).toBe(binaries.PLAIN_HEAP_MODULE);
    expect(fresh.shared).toBe(binaries.SHARED_HEAP_MODULE);
    expect(fresh.plainNoFma).toBe(binaries.PLAIN_HEAP_MODULE_NO_FMA);
    expect(fresh.sharedNoFma).toBe(binaries.SHARED_HEAP_MODULE_NO_FMA);
    // Only the fused build uses relaxed SIMD.
    expect(fresh.plainNoFma).not.toBe(fresh.plain);
  });

  it('signatures are in step with kernels.wat (npm run build:simd regenerates them)', () => {
    expect(fs.readFileSync(build.SIGNATURES_OUTPUT, 'utf8')).toBe(build.signatures());
  });

  it('signatures come from the named parameters of exported functions only', () => {
    const wat = '(module (func $inner (param $skip i32)) ;; (func (export "commented") (param $no i32))\n' +
      '(func $f (export "scale") (param $x_ptr i32) (param $count i32)\n (param $factor f32) (local $i i32)))';
    expect(build.exportedSignatures(wat)).toEqual([
      { name: 'scale', params: [{ name: 'x_ptr', type: 'i32' }, { name: 'count', type: 'i32' }, { name: 'factor', type: 'f32' }] },
    ]);
    expect(() => build.exportedSignatures('(func (export "f") (param $a i32) (param i32))')).toThrow('every parameter needs a name');
    expect(() => build.exportedSignatures('(func (export "f") (param $a i64))')).toThrow('has type i64');
  });

  it('validate in this engine: the plain builds always, the fused ones exactly where Tim uses them', async () => {
    const { fusedMultiplyAdd } = await import('../../src/wasm/simd');
    const valid = (b64: string): boolean => WebAssembly.validate(Buffer.from(b64, 'base64'));
    expect([valid(binaries.PLAIN_HEAP_MODULE_NO_FMA), valid(binaries.SHARED_HEAP_MODULE_NO_FMA)]).toEqual([true, true]);
    // Relaxed SIMD is the engine's to offer (tim doctor says whether it does); Tim needs only the plain builds.
    const fma = fusedMultiplyAdd();
    expect([valid(binaries.PLAIN_HEAP_MODULE), valid(binaries.SHARED_HEAP_MODULE)]).toEqual([fma, fma]);
  });
});

describe('SIMD transpose on the wasm heap', () => {
  it('transposes views onto the heap and declines anything else', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { loadWasmForTraining } = await import('../support/wasm');
    const { heapTranspose, simdKernels } = await import('../../src/wasm/simd');
    expect(loadWasmForTraining()).toBe(true);
    await tf.setBackend('wasm');
    const { wasmBackendOf, f32 } = await import('../../src/wasm/access');
    const backend = wasmBackendOf(tf.backend());
    expect(simdKernels(backend)).not.toBeNull();
    const rows = 12;
    const cols = 8;
    const src = tf.range(0, rows * cols).reshape([rows, cols]);
    const dst = tf.zeros([cols, rows]);
    const view = (t: tfTypes.Tensor): Float32Array => f32(backend, { dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    expect(heapTranspose(view(src), view(dst), rows, cols)).toBe(true);
    expect(dst.arraySync()).toEqual(tf.transpose(src).arraySync());
    expect(heapTranspose(new Float32Array(rows * cols), new Float32Array(rows * cols), rows, cols)).toBe(false);
    expect(heapTranspose(view(src), view(dst), 4, 24)).toBe(true);
    expect(heapTranspose(view(src), view(dst), 6, 16)).toBe(false);
    expect(heapTranspose(view(src), view(dst), 3, 32)).toBe(false);
    tf.dispose([src, dst]);
    await tf.setBackend('cpu');
  });
});
