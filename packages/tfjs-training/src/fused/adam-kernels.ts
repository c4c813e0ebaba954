import * as tf from '@tensorflow/tfjs';
import { ADAM, type AdamAttrs, type AdamInputs, biasCorrections } from './adam';
import { wasmBackendOf } from '../wasm/access';
import { address, simdKernels } from '../wasm/simd';
import { BACKENDS, type BufferFactory } from './buffers';
import type { KernelTable } from '../kernel-registry';

const f = Math.fround;

/** The update over elements [from, n) in float32 arithmetic, one rounding per tfjs op. */
function adamTail(w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, ow: Float32Array, om: Float32Array, ov: Float32Array, from: number, a: AdamAttrs, corrections: [number, number]): void {
  // Every constant as the float32 scalar tensor tfjs would make of it.
  const [b1, b2, c1, c2, d1, d2, eps, nlr] = [a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, ...corrections, a.epsilon, -a.learningRate].map(f) as [
    number, number, number, number, number, number, number, number,
  ];
  for (let i = from; i < w.length; i++) {
    const gi = g[i] as number;
    const mi = f(f((m[i] as number) * b1) + f(gi * c1));
    const vi = f(f((v[i] as number) * b2) + f(f(gi * gi) * c2));
    om[i] = mi;
    ov[i] = vi;
    ow[i] = f(f(f(f(mi / d1) / f(f(Math.sqrt(f(vi / d2))) + eps)) * nlr) + (w[i] as number));
  }
}

function adamKernel(buffers: BufferFactory, simd: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { value, m, v, grad, accBeta1, accBeta2 } = inputs as AdamInputs;
    const a = attrs as AdamAttrs;
    const io = buffers(backend);
    const [d1, d2] = biasCorrections(io.read(accBeta1)[0] ?? 0, io.read(accBeta2)[0] ?? 0);
    const out = io.outputs([value.shape, value.shape, value.shape]);
    const n = tf.util.sizeFromShape(value.shape);
    let done = 0;
    const heap = simd ? wasmBackendOf(backend) : null;
    const k = heap ? simdKernels(heap) : null;
    if (heap && k) {
      done = n - (n % 4);
      const [ow, om, ov] = out.infos.map((t) => address(heap, t)) as [number, number, number];
      k.adam({
        w_ptr: address(heap, value),
        m_ptr: address(heap, m),
        v_ptr: address(heap, v),
        g_ptr: address(heap, grad),
        w_out_ptr: ow,
        m_out_ptr: om,
        v_out_ptr: ov,
        count: done,
        b1: a.beta1,
        c1: f(1 - a.beta1),
        b2: a.beta2,
        c2: f(1 - a.beta2),
        d1,
        d2,
        epsilon: a.epsilon,
        neg_lr: -a.learningRate,
      });
    }
    if (done < n) {
      const [ow, om, ov] = out.views() as [Float32Array, Float32Array, Float32Array];
      adamTail(io.read(value), io.read(m), io.read(v), io.read(grad), ow, om, ov, done, a, [d1, d2]);
    }
    return out.infos;
  };
}

/** The fused Adam kernel for `wasm` or `cpu`. */
export function fusedAdamKernels(backendName: keyof typeof BACKENDS): KernelTable {
  return { [ADAM]: adamKernel(BACKENDS[backendName], backendName === 'wasm') };
}
