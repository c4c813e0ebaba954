import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/runtime/backend';
import { releaseWebGpu } from '../../src/runtime/webgpu/backend';
import { WeightAverage } from '../../src/train/ema';
import type { GroupVariables } from '../../src/train/groups';
import { GroupOptimizers } from '../../src/train/optimizers';
import { groupWeightDecay } from '../../src/train/weight-decay';
import { adamWCases } from '../support/goldens/cases/torch-adamw';
import { emaCases } from '../support/goldens/cases/torch-ema';
import { loadGolden } from '../support/goldens/golden';
import { relativeError } from '../support/relative-error';

jest.setTimeout(300_000);

/**
 * The weight decay and the moving average of the weights on webgpu, where the stock Adam and
 * stock ops run them, against the same PyTorch references and tolerance as the unit tests.
 */

function layerVariable(values: tf.Tensor, name: string): tf.LayerVariable {
  const v = new tf.LayerVariable(values, 'float32', name, true);
  values.dispose();
  return v;
}

beforeAll(async () => {
  await selectBackend('webgpu', { quiet: true });
});

afterAll(() => {
  releaseWebGpu();
});

describe('train.weight_decay and train.ema on webgpu', () => {
  it('AdamW matches torch.optim.AdamW with timm’s exclusions', async () => {
    const want = loadGolden('torch-adamw').json<{ cases: { values: number[][] }[] }>('adamw.json').cases;
    for (const [k, c] of adamWCases().entries()) {
      const before = tf.memory().numTensors;
      const variables = c.params.map((p) => layerVariable(tf.tensor(p.values, p.shape), p.name));
      const groups: GroupVariables = { early: [], middle: [], head: [] };
      c.params.forEach((p, i) => groups[p.group].push(variables[i] as tf.LayerVariable));
      const optimizers = new GroupOptimizers(groups, { early: 0, middle: 0, head: 0 }, c.eps, groupWeightDecay(groups, { weight_decay: 0, weight_decay_groups: c.weight_decay, weight_decay_1d: c.weight_decay_1d }));
      for (const step of c.steps) {
        optimizers.setLearningRates({ early: step.lr, middle: step.lr, head: step.lr });
        const grads: tf.NamedTensorMap = {};
        c.params.forEach((p, i) => {
          grads[(variables[i] as tf.LayerVariable).name] = tf.tensor(step.grads[i] as number[], p.shape);
        });
        optimizers.apply(grads);
        tf.dispose(Object.values(grads));
      }
      for (const [i, v] of variables.entries()) {
        const got = Array.from(await v.read().data());
        expect({ k, name: c.params[i]?.name, ok: relativeError(got, want[k]?.values[i] as number[]) < 1e-6 }).toEqual({ k, name: c.params[i]?.name, ok: true });
      }
      optimizers.dispose();
      variables.forEach((v) => v.dispose());
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('the moving average matches torch.optim.swa_utils.AveragedModel', async () => {
    const want = loadGolden('torch-ema').json<{ cases: { tensors: number[][] }[] }>('ema.json').cases;
    for (const [k, c] of emaCases().entries()) {
      const before = tf.memory().numTensors;
      const weights = c.initial.map((values, i) => layerVariable(tf.tensor(values), `ema_${i}`));
      const ema = new WeightAverage(weights, { decay: c.decay, warmup: c.warmup });
      c.states.forEach((state, n) => {
        tf.tidy(() => state.forEach((values, i) => weights[i]?.write(tf.tensor(values))));
        ema.update(n);
      });
      for (const [i, t] of ema.tensors().entries()) {
        expect({ k, i, ok: relativeError(Array.from(await t.tensor.data()), want[k]?.tensors[i] as number[]) < 1e-6 }).toEqual({ k, i, ok: true });
      }
      ema.dispose();
      weights.forEach((w) => w.dispose());
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
