import * as tf from '@tensorflow/tfjs';
import { enableTraining, ADAM_IN_PLACE, adamInPlace, onDispatch, webgpuBackendOf, adamUpdate, biasCorrections, batchNormTraining, layerNorm, timKernelAvailable, registerWebGPUTrainingKernels, STORAGE_BUFFERS_NEEDED, webgpuKernelsUnavailable } from '@tim/tfjs-training';
import { selectBackend } from '../../src/runtime/backend';
import { releaseWebGpu } from '../../src/runtime/webgpu/backend';
import { gelu } from '../../src/models/layers/gelu';
import { Sigmoid } from '../../src/models/layers/sigmoid';
import { Swish } from '../../src/models/layers/swish';
import { compare, type InputSpec, type Outputs, run, values } from './parity';

jest.setTimeout(300_000);

/**
 * Tim's WebGPU kernels against the cpu backend (Tim's cpu kernels where it has them, else the
 * composed ops), forward and gradient, on the backbones' shapes scaled down in batch and size.
 */
interface Case {
  name: string;
  inputs: InputSpec[];
  fn: (...xs: tf.Tensor[]) => tf.Tensor;
}

const img = (n: number, s: number, c: number): InputSpec => ({ shape: [n, s, s, c] });
const ch = (c: number): InputSpec => ({ shape: [c], range: [0.5, 1.5] });
const swish = new Swish();
const sigmoid = new Sigmoid();
/** A training step's BatchNorm with moving statistics at 0 and 1 and PyTorch's momentum, per image of `rows`. */
const bn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, moving = { mean: tf.zerosLike(g), variance: tf.onesLike(g) }) =>
  batchNormTraining(x, g, b, moving, { epsilon: 1e-5, momentum: 0.9, count: x.size / (g.size || 1) });
/** y and, flattened after it, the batch and moving statistics (not differentiated: they feed no loss). */
const bnAll = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
  const r = bn(x, g, b);
  return tf.concat([r.y, r.mean, r.variance, r.movingMean, r.movingVariance].map((t) => t.flatten()));
};
const bnY = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => bn(x, g, b).y;

const CASES: Case[] = [
  // ResNet-50: the stem's 64 channels over several partial-sum chunks and apply blocks.
  { name: 'batch norm, resnet stem (64 channels, 4,608 rows)', inputs: [{ ...img(2, 48, 64), range: [0.5, 3] }, ch(64), ch(64)], fn: bnY },
  { name: 'batch norm statistics, resnet stem', inputs: [{ ...img(2, 48, 64), range: [0.5, 3], grad: false }, { ...ch(64), grad: false }, { ...ch(64), grad: false }], fn: bnAll },
  {
    name: 'batch norm moving statistics (unbiased variance), from earlier ones',
    inputs: [{ ...img(2, 7, 2048), grad: false }, { ...ch(2048), grad: false }, { shape: [2048], grad: false }, { shape: [2048], grad: false }, { ...ch(2048), grad: false }],
    fn: (x, g, b, pm, pv) => {
      const r = bn(x, g, b, { mean: pm, variance: pv });
      return tf.concat([r.movingMean, r.movingVariance]);
    },
  },
  { name: 'batch norm, resnet stage 4 (2,048 channels)', inputs: [img(2, 3, 2048), ch(2048), ch(2048)], fn: bnY },
  // EfficientNet-B0: channel counts that are not powers of two.
  { name: 'batch norm, efficientnet (24 channels)', inputs: [img(2, 12, 24), ch(24), ch(24)], fn: bnY },
  { name: 'batch norm, efficientnet (1,152 channels)', inputs: [img(2, 3, 1152), ch(1152), ch(1152)], fn: bnY },
  { name: 'batch norm statistics, efficientnet (40 channels)', inputs: [{ ...img(2, 6, 40), grad: false }, { ...ch(40), grad: false }, { ...ch(40), grad: false }], fn: bnAll },
  // ConvNeXt-Tiny: channels-last LN over 96 and 768 channels.
  { name: 'layer norm, convnext stage 1 (96 channels)', inputs: [img(2, 8, 96), ch(96), ch(96)], fn: (x, g, b) => layerNorm(x, g, b, 1e-6) },
  { name: 'layer norm, convnext stage 4 (768 channels)', inputs: [img(2, 2, 768), ch(768), ch(768)], fn: (x, g, b) => layerNorm(x, g, b, 1e-6) },
  { name: 'layer norm over 4,608 rows (dγ, dβ in two chunks)', inputs: [img(2, 48, 96), ch(96), ch(96)], fn: (x, g, b) => layerNorm(x, g, b, 1e-6) },
  // Channels-last reductions: bias gradients, squeeze-and-excitation, global average pooling.
  { name: 'sum over N, H, W (a bias gradient)', inputs: [img(2, 7, 40)], fn: (x) => tf.sum(x, [0, 1, 2]) },
  { name: 'sum over H, W kept (squeeze-and-excitation scale gradient)', inputs: [img(2, 7, 40)], fn: (x) => tf.sum(x, [1, 2], true) },
  { name: 'mean over H, W kept (squeeze)', inputs: [img(2, 7, 40)], fn: (x) => tf.mean(x, [1, 2], true) },
  // 2·91·91 = 16,562 rows: past REDUCE_SERIAL_MAX, so the stock kernels share each sum.
  { name: 'sum over N, H, W longer than one invocation should sum (the stock kernel)', inputs: [img(2, 91, 8)], fn: (x) => tf.sum(x, [0, 1, 2]) },
  { name: 'sum over the last axis (the stock kernel)', inputs: [img(2, 7, 40)], fn: (x) => tf.sum(x, -1) },
  { name: 'gelu, convnext mlp (384 channels)', inputs: [{ ...img(2, 4, 384), range: [-5, 5] }], fn: (x) => gelu(x) },
  { name: 'silu, efficientnet (96 channels)', inputs: [{ ...img(2, 6, 96), range: [-8, 8] }], fn: (x) => swish.apply(x) },
  { name: 'sigmoid, efficientnet squeeze-and-excitation gate (1 × 1 × 672)', inputs: [{ ...img(2, 1, 672), range: [-8, 8] }], fn: (x) => sigmoid.apply(x) },
];

const LIMIT = 1e-3;

async function onBackend(backend: 'cpu' | 'webgpu', c: Case): Promise<Outputs> {
  await tf.setBackend(backend);
  return run(c.name, c.inputs, c.fn);
}

beforeAll(async () => {
  await selectBackend('webgpu', { quiet: true });
  // The reference: Tim's cpu kernels, as a run selecting cpu has them.
  enableTraining('cpu');
});

afterAll(() => {
  releaseWebGpu();
});

describe("Tim's webgpu kernels against the cpu backend", () => {
  it('the layers take the fused kernels on webgpu', async () => {
    await tf.setBackend('webgpu');
    for (const k of ['TimBatchNormTraining', 'TimLayerNorm', 'TimGelu', 'TimSilu', 'TimSigmoid', 'TimAdam', 'TimAdamInPlace']) expect(timKernelAvailable(k)).toBe(true);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const want = await onBackend('cpu', c);
    const before = tf.memory().numTensors;
    const got = await onBackend('webgpu', c);
    expect(tf.memory().numTensors).toBe(before);
    const row = compare(c.name, got, want);
    expect(row.forward).toBeLessThanOrEqual(LIMIT);
    if (row.gradient !== null) expect(row.gradient).toBeLessThanOrEqual(LIMIT);
  });

  it('the Adam update is the cpu backend’s', async () => {
    const n = 3000;
    const state = async (backend: 'cpu' | 'webgpu') => {
      await tf.setBackend(backend);
      const t = (k: string, range?: [number, number]) => tf.tensor1d(values({ shape: [n], ...(range ? { range } : {}) }, `adam:${k}`) as Float32Array);
      const inputs = { value: t('w'), m: t('m'), v: t('v', [0, 0.01]), grad: t('g'), accBeta1: tf.scalar(0.9 ** 3), accBeta2: tf.scalar(0.999 ** 3) };
      const before = tf.memory().numTensors;
      const outs = adamUpdate(inputs, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, learningRate: 1e-3 });
      const read = await Promise.all(outs.map((o) => o.data()));
      tf.dispose([...outs, ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before - Object.keys(inputs).length);
      return read;
    };
    const want = await state('cpu');
    const got = await state('webgpu');
    want.forEach((w, i) => {
      const g = got[i] as tf.TypedArray;
      let worst = 0;
      for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs((g[k] as number) - (w[k] as number)) / Math.max(1e-6, Math.abs(w[k] as number)));
      expect(worst).toBeLessThanOrEqual(1e-5);
    });
  });
});

describe('Adam over several variables in place on webgpu', () => {
  /** A variable's value and moments (owning their data) and its gradient, from seeded values. */
  const slotsOf = (n: number, tag: string) => {
    const t = (k: string, range?: [number, number]) => tf.tensor1d(values({ shape: [n], ...(range ? { range } : {}) }, `${tag}:${k}`) as Float32Array);
    // A variable made from a tensor shares its data until that tensor is disposed.
    const own = (x: tf.Tensor) => {
      const v = tf.variable(x);
      x.dispose();
      return v;
    };
    return { value: own(t('w')), m: own(t('m')), v: own(t('v', [0, 0.01])), grad: t('g') };
  };
  type Slots = ReturnType<typeof slotsOf>;
  const read = (slots: Slots[]) => Promise.all(slots.map((s) => Promise.all([s.value, s.m, s.v].map((t) => t.data()))));
  /** Each variable's value, m and v within `tolerance` (relative) of the reference's. */
  const expectClose = (got: tf.TypedArray[][], want: tf.TypedArray[][], tolerance: number): void => {
    want.forEach((outputs, j) =>
      outputs.forEach((w, o) => {
        const g = got[j]?.[o] as tf.TypedArray;
        let worst = 0;
        for (let k = 0; k < w.length; k++) worst = Math.max(worst, Math.abs((g[k] as number) - (w[k] as number)) / Math.max(1e-6, Math.abs(w[k] as number)));
        expect(worst).toBeLessThanOrEqual(tolerance);
      }),
    );
  };

  it('updates each value and moment as the cpu backend’s one-variable kernel does', async () => {
    const sizes = [3000, 7, 1, 513, 64, 4100, 2];
    const [d1, d2] = biasCorrections(Math.fround(0.9 ** 3), Math.fround(0.999 ** 3));
    const attrs = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, learningRate: 1e-3 };
    await tf.setBackend('cpu');
    const want = await Promise.all(
      sizes.map(async (n, j) => {
        const s = slotsOf(n, `adam${j}`);
        const outs = adamUpdate({ ...s, accBeta1: tf.scalar(1 - d1), accBeta2: tf.scalar(1 - d2) }, attrs);
        const outputs = await Promise.all(outs.map((o) => o.data()));
        tf.dispose([...outs, s.value, s.m, s.v, s.grad]);
        return outputs;
      }),
    );
    await tf.setBackend('webgpu');
    expect(timKernelAvailable(ADAM_IN_PLACE)).toBe(true);
    const slots = sizes.map((n, j) => slotsOf(n, `adam${j}`));
    const before = tf.memory().numTensors;
    adamInPlace(slots, { ...attrs, d1, d2 });
    expect(tf.memory().numTensors).toBe(before);
    const got = await read(slots);
    tf.dispose(slots.flatMap((s) => [s.value, s.m, s.v, s.grad]));
    expectClose(got, want, 1e-5);
  });

  it("takes AdamW's decay as a term of the same dispatch: the values a multiply before it gives, without the multiply's dispatch", async () => {
    await tf.setBackend('webgpu');
    // Above tfjs's size for handing small elementwise ops to the CPU, so the multiplies run on the GPU.
    const sizes = [3000, 5, 4100];
    const factors = [Math.fround(1 - 1e-3 * 0.05), 1, Math.fround(1 - 1e-3 * 0.3)];
    const [d1, d2] = biasCorrections(Math.fround(0.9 ** 2), Math.fround(0.999 ** 2));
    const attrs = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, learningRate: 1e-3, d1, d2 };
    // Tim's multi-output programs report to onDispatch; the stock ones run through runWebGPUProgram.
    const dispatchesOf = (fn: () => void): number => {
      let n = 0;
      const backend = webgpuBackendOf(tf.backend());
      const original = backend.runWebGPUProgram.bind(backend);
      backend.runWebGPUProgram = (...args) => {
        n++;
        return original(...args);
      };
      const stop = onDispatch(() => n++);
      try {
        fn();
      } finally {
        stop();
        Reflect.deleteProperty(backend, 'runWebGPUProgram');
      }
      return n;
    };

    const folded = sizes.map((n, j) => ({ ...slotsOf(n, `adamw${j}`), decayFactor: factors[j] }));
    const foldedDispatches = dispatchesOf(() => adamInPlace(folded, attrs));
    const separate = sizes.map((n, j) => slotsOf(n, `adamw${j}`));
    const separateDispatches = dispatchesOf(() => {
      separate.forEach((s, j) => {
        if (factors[j] !== 1) tf.tidy(() => s.value.assign(tf.mul(s.value, factors[j] as number)));
      });
      adamInPlace(separate, attrs);
    });
    const plain = sizes.map((n, j) => slotsOf(n, `adamw${j}`));
    adamInPlace(plain, attrs);
    expect(separateDispatches - foldedDispatches).toBe(2);
    const [got, want, undecayed] = await Promise.all([read(folded), read(separate), read(plain)]);
    tf.dispose([...folded, ...separate, ...plain].flatMap((s) => [s.value, s.m, s.v, s.grad]));
    // At most a rounding apart: the shader compiler may fuse the decay's multiply into the update's add.
    expectClose(got, want, 1e-6);
    // A factor of 1 leaves the update exactly as without decay; the others change the values.
    expect(Array.from(got[1]?.[0] as tf.TypedArray)).toEqual(Array.from(undecayed[1]?.[0] as tf.TypedArray));
    for (const j of [0, 2]) expect(Array.from(got[j]?.[0] as tf.TypedArray)).not.toEqual(Array.from(undecayed[j]?.[0] as tf.TypedArray));
  });

  it('refuses a value whose data another tensor shares, rather than changing both', async () => {
    await tf.setBackend('webgpu');
    const value = tf.tidy(() => tf.ones([8]).variable());
    const alias = tf.reshape(value, [2, 4]);
    const s = { value, m: tf.tidy(() => tf.zeros([8]).variable()), v: tf.tidy(() => tf.zeros([8]).variable()), grad: tf.ones([8]) };
    expect(() => adamInPlace([s], { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, learningRate: 1, d1: 0.1, d2: 0.001 })).toThrow(/shares its data/);
    expect(Array.from(await alias.data())).toEqual(Array(8).fill(1));
    tf.dispose([alias, s.value, s.m, s.v, s.grad]);
  });
});

describe('an adapter with fewer storage buffers a stage than Tim\'s kernels bind', () => {
  it('keeps the stock kernels and says why, and takes Tim\'s again on an adapter with enough', async () => {
    await tf.setBackend('webgpu');
    try {
      registerWebGPUTrainingKernels(8);
      expect(timKernelAvailable('TimAdam')).toBe(false);
      expect(timKernelAvailable('TimBatchNormTraining')).toBe(false);
      expect(webgpuKernelsUnavailable()).toMatch(/offers 8/);
    } finally {
      registerWebGPUTrainingKernels(STORAGE_BUFFERS_NEEDED);
    }
    expect(webgpuKernelsUnavailable()).toBeUndefined();
    expect(timKernelAvailable('TimAdam')).toBe(true);
  });
});
