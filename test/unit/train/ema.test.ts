import * as tf from '@tensorflow/tfjs';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { emaDecay, WeightAverage } from '../../../src/train/ema';
import { EMA_TENSORS, emaCases } from '../../support/goldens/cases/torch-ema';
import { loadGolden } from '../../support/goldens/golden';
import { relativeError } from '../../support/relative-error';

/** train.ema against torch's AveragedModel with timm's averaging function (BatchNorm statistics averaged too). */

/** A Dense(4) on 3 inputs and a BatchNorm: the same six tensors as the reference's Linear + BatchNorm1d. */
function denseBn(): tf.LayersModel {
  const input = tf.input({ shape: [3] });
  const dense = tf.layers.dense({ units: 4 }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization().apply(dense) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: bn });
}

function setWeights(model: tf.LayersModel, values: number[][]): void {
  tf.tidy(() => model.weights.forEach((w, i) => w.write(tf.tensor(values[i] as number[], w.shape as number[]))));
}

const read = (model: tf.LayersModel): number[][] => model.weights.map((w) => Array.from(w.read().dataSync()));

beforeAll(async () => {
  expect(loadWasmForTraining()).toBe(true);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('moving average of the weights (train.ema)', () => {
  it.each(['cpu', 'wasm'])('matches torch.optim.swa_utils.AveragedModel after k steps on %s', async (backend) => {
    await tf.setBackend(backend);
    const want = loadGolden('torch-ema').json<{ cases: { tensors: number[][] }[] }>('ema.json').cases;
    const model = denseBn();
    expect(model.weights.map((w) => w.shape.reduce<number>((a, b) => a * (b ?? 1), 1))).toEqual(EMA_TENSORS.map(([, size]) => size));
    for (const [k, c] of emaCases().entries()) {
      setWeights(model, c.initial);
      const ema = new WeightAverage(model.weights, { decay: c.decay, warmup: c.warmup });
      c.states.forEach((state, n) => {
        setWeights(model, state);
        ema.update(n);
      });
      const last = c.states[c.states.length - 1] as number[][];
      await ema.swappedIn(() => {
        read(model).forEach((got, i) => {
          expect({ k, tensor: EMA_TENSORS[i]?.[0], ok: relativeError(got, want[k]?.tensors[i] as number[]) < 1e-6 }).toEqual({ k, tensor: EMA_TENSORS[i]?.[0], ok: true });
        });
      });
      // The trained weights are back once the averages have been used.
      expect(read(model)).toEqual(last.map((t) => Array.from(Float32Array.from(t))));
      ema.dispose();
    }
    model.dispose();
  });

  it('follows timm’s warm-up: min(decay, (1 + n)/(10 + n))', () => {
    expect(emaDecay({ decay: 0.999, warmup: true }, 0)).toBeCloseTo(0.1, 15);
    expect(emaDecay({ decay: 0.999, warmup: true }, 90)).toBeCloseTo(0.91, 15);
    expect(emaDecay({ decay: 0.5, warmup: true }, 90)).toBe(0.5);
    expect(emaDecay({ decay: 0.999, warmup: false }, 0)).toBe(0.999);
  });

  it('leaves no tensors behind: updates, swaps, restore and dispose', async () => {
    await tf.setBackend('cpu');
    const model = denseBn();
    const before = tf.memory().numTensors;
    const ema = new WeightAverage(model.weights, { decay: 0.9, warmup: false });
    const held = tf.memory().numTensors;
    expect(held - before).toBe(model.weights.length);
    for (let n = 0; n < 3; n++) {
      setWeights(model, EMA_TENSORS.map(([, size]) => Array.from({ length: size }, () => n)));
      ema.update(n);
      await ema.swappedIn(() => undefined);
      expect(tf.memory().numTensors).toBe(held);
    }
    const saved = ema.tensors().map((t) => ({ name: t.name, tensor: t.tensor.clone() }));
    ema.restore(saved, 'test');
    expect(tf.memory().numTensors).toBe(held);
    expect(() => ema.restore([], 'last/')).toThrow(/last\/: the saved moving average of the weights \(train\.ema\) does not match the model \(0 tensors for 6 weights\)/);
    ema.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
