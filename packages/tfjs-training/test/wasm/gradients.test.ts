import * as tf from '@tensorflow/tfjs';
import { relativeError as relativeErrorOf } from '../support/relative-error';
import { loadWasmForTraining } from '../support/wasm';
import { registeredKernels } from '../../src/kernel-registry';

/**
 * Every kernel Tim registers for the wasm backend is checked against the cpu backend's own
 * gradients on the same numbers: strides 1–2, kernels 1–7, same/valid padding, odd and even
 * sizes, depth multipliers 1–2, and dilations where the kernel takes them.
 */

type Nested = number | Nested[];

function flat(v: Nested): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

/** The error relative to the gradient's scale, over nested arrays. */
function relativeError(actual: Nested, expected: Nested): number {
  return relativeErrorOf(flat(actual), flat(expected));
}

/** Runs `fn` on a backend with fresh copies of the inputs and returns plain arrays. */
async function on(backend: string, inputs: Nested[], shapes: number[][], fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Nested[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((v, i) => tf.tensor(flat(v), shapes[i]));
    return fn(...xs).map((t) => t.arraySync() as Nested);
  });
}

async function compare(shapes: number[][], fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<number> {
  await tf.setBackend('cpu');
  const values = shapes.map((s) => tf.tidy(() => tf.randomNormal(s, 0, 1, 'float32', 7).arraySync() as Nested));
  const expected = await on('cpu', values, shapes, fn);
  const actual = await on('wasm', values, shapes, fn);
  return Math.max(...actual.map((a, i) => relativeError(a, expected[i] as Nested)));
}

/** Loss whose gradient (dy = 2·y·r) is not uniform, so every tap and channel is exercised. */
function lossOf(y: tf.Tensor): tf.Scalar {
  const r = tf.linspace(-1, 1, y.size).reshape(y.shape);
  return tf.sum(tf.mul(tf.square(y), r));
}

const TOL = 1e-4;

beforeAll(async () => {
  expect(loadWasmForTraining()).toBe(true);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('wasm training kernels', () => {
  it('are registered', () => {
    for (const k of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) {
      expect(tf.getKernel(k, 'wasm')).toBeDefined();
      expect(registeredKernels('wasm')).toContain(k);
    }
  });

  const cases: { k: number; s: number; pad: 'same' | 'valid'; size: number }[] = [];
  for (const k of [1, 2, 3, 5, 7]) {
    for (const s of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const size of [k + 4, k + 5]) cases.push({ k, s, pad, size });
      }
    }
  }

  // Output channels in eights take the SIMD matrix kernels (forward, and the filter gradient;
  // the input gradient when the input channels are too), others XNNPACK.
  it.each(cases.flatMap((c) => [{ ci: 3, co: 4 }, { ci: 3, co: 8 }, { ci: 8, co: 16 }].map((v) => ({ ...c, ...v }))))(
    'conv2d and its gradients match cpu: kernel $k stride $s $pad size $size channels $ci→$co',
    async ({ k, s, pad, size, ci, co }) => {
      const err = await compare([[2, size, size + 1, ci], [k, k, ci, co]], (x, w) => [
        tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => lossOf(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)))([x, w]),
      ]);
      expect(err).toBeLessThan(TOL);
    },
  );

  it('a convolution with bias, and its gradients, match cpu on the matrix kernels', async () => {
    const err = await compare([[3, 9, 7, 5], [3, 3, 5, 24], [24]], (x, w, b) => {
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar =>
        lossOf(tf.fused.conv2d({ x: xx as tf.Tensor4D, filter: ww as tf.Tensor4D, strides: 2, pad: 'same', bias: bb }));
      return [tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'valid', bias: b }), ...tf.grads(f)([x, w, b])];
    });
    expect(err).toBeLessThan(TOL);
  });

  // 16 channels with multiplier 1 take the SIMD kernels (the forward and input gradient from 26 taps
  // up); 3 channels the JavaScript and XNNPACK ones.
  it.each(cases.flatMap((c) => [{ m: 1, ch: 3 }, { m: 1, ch: 16 }, { m: 2, ch: 3 }].map((v) => ({ ...c, ...v }))))(
    'depthwise gradients match cpu: kernel $k stride $s $pad size $size channels $ch multiplier $m',
    async ({ k, s, pad, size, m, ch }) => {
      const err = await compare([[2, size, size + 1, ch], [k, k, ch, m]], (x, w) => [
        tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => lossOf(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)))([x, w]),
      ]);
      expect(err).toBeLessThan(TOL);
    },
  );

  it.each([
    { k: 3, d: 2, pad: 'same', m: 1, ch: 3 },
    { k: 3, d: 2, pad: 'same', m: 1, ch: 4 },
    { k: 3, d: 2, pad: 'valid', m: 2, ch: 3 },
    { k: 2, d: 3, pad: 'same', m: 2, ch: 3 },
    { k: 5, d: 2, pad: 'valid', m: 1, ch: 3 },
    { k: 5, d: 2, pad: 'valid', m: 1, ch: 8 },
    { k: 7, d: 2, pad: 'same', m: 1, ch: 16 },
  ])('dilated depthwise backprop kernels match cpu: kernel $k dilation $d $pad channels $ch multiplier $m', async ({ k, d, pad, m, ch }) => {
    // The cpu backend's depthwise backprop kernels ignore dilation, so the reference is the
    // gradient of an undilated convolution whose filter has the zeros written out.
    const inputShape = [2, 13, 12, ch];
    const filterShape = [k, k, ch, m];
    const span = (k - 1) * d + 1;
    const dilate = (w: tf.Tensor): tf.Tensor4D => {
      const spread = tf.pad(tf.reshape(w, [k, 1, k, 1, ch, m]), [[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0], [0, 0]]);
      return tf.slice(tf.reshape<tf.Rank.R4>(spread, [k * d, k * d, ch, m]), [0, 0, 0, 0], [span, span, ch, m]);
    };
    const outShape = tf.backend_util.computeConv2DInfo(
      inputShape as [number, number, number, number],
      [span, span, ch, m],
      1,
      1,
      pad as 'same' | 'valid',
      undefined,
      true,
    ).outShape;
    const attrs = { strides: 1, dilations: d, pad };
    const shapes = [inputShape, filterShape, outShape];
    await tf.setBackend('cpu');
    const values = shapes.map((sh) => tf.tidy(() => tf.randomNormal(sh, 0, 1, 'float32', 11).arraySync() as Nested));
    const expected = await on('cpu', values, shapes, (x, w, dy) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, dilate(b), 1, pad as 'same' | 'valid'), dy)))([
        x,
        w,
      ]),
    );
    const actual = await on('wasm', values, shapes, (x, _w, dy) => [
      tf.engine().runKernel<tf.Tensor>('DepthwiseConv2dNativeBackpropInput', { dy, filter: _w }, { ...attrs, inputShape }),
      tf.engine().runKernel<tf.Tensor>('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape }),
    ]);
    expect(relativeError(actual[0] as Nested, expected[0] as Nested)).toBeLessThan(TOL);
    expect(relativeError(actual[1] as Nested, expected[1] as Nested)).toBeLessThan(TOL);
  });

  it('conv2dTranspose (Conv2DBackpropInput as a forward op) matches cpu', async () => {
    for (const [k, s, pad] of [
      [3, 2, 'same'],
      [4, 2, 'valid'],
      [1, 1, 'valid'],
    ] as const) {
      const outShape: [number, number, number, number] = pad === 'same' ? [2, 10, 10, 3] : [2, (5 - 1) * s + k, (5 - 1) * s + k, 3];
      const err = await compare([[2, 5, 5, 4], [k, k, 3, 4]], (x, w) => [tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, outShape, s, pad)]);
      expect(err).toBeLessThan(TOL);
    }
  });

  // Sizes in fours take the SIMD transpose, the others the JavaScript one; columns in eights the
  // SIMD matrix kernels (with row tails, and a depth past one block of 256).
  it.each([
    { m: 5, k: 7, n: 6 },
    { m: 8, k: 12, n: 4 },
    { m: 9, k: 7, n: 16 },
    { m: 6, k: 300, n: 8 },
  ])('transposed batch matmul and its gradients match cpu: $m×$k×$n', async ({ m, k, n }) => {
    for (const [ta, tb] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const aShape = ta ? [3, k, m] : [3, m, k];
      const bShape = tb ? [3, n, k] : [3, k, n];
      const err = await compare([aShape, bShape], (a, b) => {
        const f = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => lossOf(tf.matMul(x, y, ta, tb));
        return [tf.matMul(a, b, ta, tb), ...tf.grads(f)([a, b])];
      });
      expect(err).toBeLessThan(TOL);
    }
  });

  it('a dense layer (fused matmul with bias) and its gradients match cpu on the matrix kernels', async () => {
    const err = await compare([[13, 20], [20, 24], [24], [2, 13, 20]], (a, b, bias, batched) => {
      const f = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor): tf.Scalar => lossOf(tf.fused.matMul({ a: x, b: w, bias: c }));
      return [
        tf.fused.matMul({ a: a, b: b, bias }),
        tf.matMul(batched, b),
        ...tf.grads(f)([a, b, bias]),
      ];
    });
    expect(err).toBeLessThan(TOL);
  });

  it('tile matches cpu for float and int tensors, and batch-norm gradients through it', async () => {
    const err = await compare([[2, 3, 4]], (x) => [tf.tile(x, [3, 1, 2]), tf.tile(x, [1, 2, 1])]);
    expect(err).toBe(0);
    await tf.setBackend('wasm');
    const ints = tf.tidy(() => tf.tile(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), [2, 3]).arraySync());
    expect(ints).toEqual([
      [1, 2, 1, 2, 1, 2],
      [3, 4, 3, 4, 3, 4],
      [1, 2, 1, 2, 1, 2],
      [3, 4, 3, 4, 3, 4],
    ]);
    const bnErr = await compare([[2, 5, 4, 6], [6], [6]], (x, g, b) =>
      tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return lossOf(tf.batchNorm(xx, mean, variance, bb, gg, 1e-5));
      })([x, g, b]),
    );
    expect(bnErr).toBeLessThan(TOL);
  });

  it.each([
    { shape: [37, 5, 12], axes: [0, 1] },
    { shape: [37, 5, 12], axes: [0] },
    { shape: [6, 7], axes: [0] },
    { shape: [3, 5, 6, 8], axes: [1, 2] },
    { shape: [3, 5, 6, 7], axes: [1, 2] },
    { shape: [2, 3, 4, 5, 4], axes: [2, 3] },
  ])('sum and mean over adjacent axes match cpu: $shape over $axes', async ({ shape, axes }) => {
    const err = await compare([shape], (x) => [tf.sum(x, axes), tf.mean(x, axes), tf.sum(x, axes, true)]);
    expect(err).toBeLessThan(1e-6);
  });

  it.each([
    { k: 3, s: 2, pad: 'same' },
    { k: 3, s: 2, pad: 'valid' },
    { k: 2, s: 2, pad: 'valid' },
    { k: 3, s: 1, pad: 'same' },
  ] as const)('max-pool gradients match cpu, ties included: pool $k stride $s $pad', async ({ k, s, pad }) => {
    // Rounded values make ties inside windows, where the first maximum must win as on cpu.
    // 5 channels take the JavaScript loop, 8 the SIMD kernel.
    for (const c of [5, 8]) {
      const err = await compare([[2, 9, 8, c]], (x) => {
        const f = (a: tf.Tensor): tf.Scalar => lossOf(tf.maxPool(a as tf.Tensor4D, k, s, pad));
        return [tf.grad(f)(tf.round(tf.mul(x, 1.5))), tf.grad(f)(x)];
      });
      expect(err).toBeLessThan(1e-6);
    }
  });

  it.each([{ shape: [4, 9] }, { shape: [7] }])('erf matches cpu to 1e-6 for shape $shape, through GELU’s gradient too', async ({ shape }) => {
    await tf.setBackend('cpu');
    const err = await compare([shape], (x) => {
      const wide = tf.mul(x, 3);
      const gelu = (a: tf.Tensor): tf.Tensor => tf.mul(tf.mul(a, 0.5), tf.add(1, tf.erf(tf.div(a, Math.SQRT2))));
      return [tf.erf(wide), tf.grad((a: tf.Tensor) => lossOf(gelu(a)))(wide)];
    });
    expect(err).toBeLessThan(1e-6);
  });

  it.each([{ shape: [4, 9] }, { shape: [7] }])('exp matches cpu to 1e-6 relative for shape $shape from −20 to 20', async ({ shape }) => {
    await tf.setBackend('cpu');
    const n = shape.reduce((a, b) => a * b, 1);
    const values = tf.tidy(() => tf.linspace(-20, 20, n).arraySync());
    const expected = await on('cpu', [values], [shape], (x) => [tf.exp(x)]);
    const actual = await on('wasm', [values], [shape], (x) => [tf.exp(x)]);
    const a = flat(actual[0] as Nested);
    const e = flat(expected[0] as Nested);
    const worst = Math.max(...a.map((v, i) => Math.abs(v - (e[i] as number)) / (e[i] as number)));
    expect(worst).toBeLessThan(1e-6);
  });

  it('leaves no tensor or wasm buffer behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const step = (): void => {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 9, 4]);
        const w = tf.randomNormal([3, 3, 4, 5]);
        const dw = tf.randomNormal([5, 5, 5, 2]);
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar => {
          const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same');
          const z = tf.depthwiseConv2d(y, c as tf.Tensor4D, 2, 'same');
          const flatZ = tf.reshape(z, [2, -1]);
          return lossOf(tf.matMul(flatZ, tf.tile(flatZ, [1, 1]), false, true));
        };
        tf.grads(f)([x, w, dw]).forEach((g) => g.dataSync());
      });
    };
    step();
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    step();
    step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
  });
});
