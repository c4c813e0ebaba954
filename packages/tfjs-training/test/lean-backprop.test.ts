import * as tf from '@tensorflow/tfjs';
import { engineInternals, installLeanBackprop, nodesFromXsToY } from '../src/lean-backprop';

/** A small graph with a shared input, a branch, a multi-output op and a custom gradient. */
function f(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  const sq = tf.customGrad<tf.Tensor>((...args) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return { value: tf.square(x), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(dy, tf.mul(2, s as tf.Tensor)) };
  });
  const h = tf.relu(tf.matMul(a, b));
  const [p, q] = tf.split(h, 2, 1) as [tf.Tensor, tf.Tensor];
  const both = tf.add(tf.mul(p, p), tf.sigmoid(q));
  return tf.sum(tf.add(sq(both), tf.mul(a, a).sum()));
}

/** A small image classifier of stock layers: convolution, batch norm, pooling and a dense head. */
function smallConvNet(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
    ],
  });
}

function gradsOf(xs: tf.Variable[], fn: () => tf.Scalar): { value: number; grads: Float32Array[] } {
  const { value, grads } = tf.variableGrads(fn, xs);
  const out = { value: value.dataSync()[0] as number, grads: xs.map((x) => grads[x.name]?.dataSync() as Float32Array) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe('lean back-propagation', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('computes the gradients tfjs computes, frees everything, and holds less while back-propagating', async () => {
    await tf.setBackend('cpu');
    const a = tf.variable(tf.randomNormal([6, 5], 0, 1, 'float32', 1), true, 'lean_a');
    const b = tf.variable(tf.randomNormal([5, 8], 0, 1, 'float32', 2), true, 'lean_b');
    const model = smallConvNet();
    const x = tf.randomNormal<tf.Rank.R4>([4, 16, 16, 3], 0, 1, 'float32', 3);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const modelLoss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor);
    // A deep chain: tfjs holds a gradient for every activation until the backward pass ends.
    const ws = Array.from({ length: 12 }, (_, i) => tf.variable(tf.randomNormal([64, 64], 0, 0.1, 'float32', 10 + i), true, `lean_w${i}`));
    const chain = (): tf.Scalar => tf.sum(ws.reduce((h: tf.Tensor, w) => tf.relu(tf.matMul(h, w)), tf.ones([128, 64])));
    // The most memory held while the gradients are computed (after the forward pass's last op, the sum).
    const peakOf = async (): Promise<number> => {
      const p = await tf.profile(() => tf.dispose(Object.values(tf.variableGrads(chain, ws).grads)));
      const start = p.kernels.map((k) => k.name).lastIndexOf('Sum');
      return Math.max(...p.kernels.slice(start + 1).map((k) => k.totalBytesSnapshot));
    };

    const stockSmall = gradsOf([a, b], () => f(a, b));
    const stockModel = gradsOf(vars, modelLoss);
    const stockPeak = await peakOf();
    installLeanBackprop();
    installLeanBackprop();
    const before = tf.memory().numTensors;
    const leanSmall = gradsOf([a, b], () => f(a, b));
    const leanModel = gradsOf(vars, modelLoss);
    expect(tf.memory().numTensors).toBe(before);
    const leanPeak = await peakOf();

    expect(leanSmall.value).toBe(stockSmall.value);
    leanSmall.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(stockSmall.grads[i] as Float32Array)));
    expect(leanModel.value).toBeCloseTo(stockModel.value, 6);
    leanModel.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(stockModel.grads[i] as Float32Array)));
    expect(leanPeak).toBeLessThan(stockPeak * 0.75);
    // A gradient inside a gradient keeps tfjs's own method.
    const second = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.grad((w: tf.Tensor) => tf.sum(tf.pow(w, 3)))(v).sum())(tf.tensor1d([1, 2])));
    expect(Array.from(second.dataSync())).toEqual([6, 12]);
    tf.dispose([a, b, x, labels, second, ...ws]);
    model.dispose();
  });

  it('keeps only the nodes between xs and y, with only the inputs that depend on xs', () => {
    const t = (id: number): tf.Tensor => ({ id }) as unknown as tf.Tensor;
    const node = (id: number, inputs: number[], outputs: number[]) => ({
      id,
      kernelName: `k${id}`,
      inputs: Object.fromEntries(inputs.map((i, k) => [`in${k}`, t(i)])),
      outputs: outputs.map(t),
    });
    // x=1, w=2 (not asked for): 1,2 -> 3; 3 -> 4 (y); 2 -> 5 (dead end); 1 -> 6 (not to y)
    const tape = [node(1, [1, 2], [3]), node(2, [3], [4]), node(3, [2], [5]), node(4, [1], [6])];
    const kept = nodesFromXsToY(tape, [t(1)], t(4));
    expect(kept.map((n) => n.id)).toEqual([1, 2]);
    expect(Object.values(kept[0]?.inputs ?? {}).map((x) => x.id)).toEqual([1]);
  });

  it('checks the tfjs engine internals it relies on, naming what is missing', () => {
    expect(engineInternals(tf.engine())).toBe(tf.engine());
    const fn = (): undefined => undefined;
    // As a fresh engine is: no tape has run yet, so its state has no activeTape.
    const fresh = { startTape: fn, endTape: fn, scopedRun: fn, tidy: fn, gradients: fn, state: { gradientDepth: 0 } };
    expect(engineInternals(fresh)).toBe(fresh);
    expect(() => engineInternals({ startTape: fn, state: { activeTape: null } })).toThrow(
      "this tfjs engine lacks what Tim's back-propagation uses: endTape, scopedRun, tidy, gradients, state.gradientDepth",
    );
  });
});
