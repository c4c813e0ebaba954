import * as tf from '@tensorflow/tfjs';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { enableTraining, ADAM, timKernelAvailable } from '@tim/tfjs-training';
import type { GroupVariables } from '../../../src/train/groups';
import { GroupOptimizers } from '../../../src/train/optimizers';
import { groupWeightDecay } from '../../../src/train/weight-decay';
import { adamWCases, type AdamWCase } from '../../support/goldens/cases/torch-adamw';
import { loadGolden } from '../../support/goldens/golden';
import { relativeError } from '../../support/relative-error';

/**
 * train.weight_decay against torch.optim.AdamW with timm's exclusions, on the fused kernel of
 * cpu and wasm: the decayed weights within 1e-6 of PyTorch's relative to their scale, and the
 * decay visibly there (without it they would be off by more than the tolerance).
 */

const golden = (): number[][][] => loadGolden('torch-adamw').json<{ cases: { values: number[][] }[] }>('adamw.json').cases.map((c) => c.values);

/** A layer variable holding `values` (the variable keeps its own reference to them). */
function layerVariable(values: tf.Tensor, name: string): tf.LayerVariable {
  const v = new tf.LayerVariable(values, 'float32', name, true);
  values.dispose();
  return v;
}

/** Runs a case's steps with Tim's optimizers; `decayOff` trains the same steps with no decay. */
function runCase(c: AdamWCase, decayOff = false): number[][] {
  const variables = c.params.map((p) => layerVariable(tf.tensor(p.values, p.shape), p.name));
  const groups: GroupVariables = { early: [], middle: [], head: [] };
  c.params.forEach((p, i) => groups[p.group].push(variables[i] as tf.LayerVariable));
  const config = { weight_decay: 0, weight_decay_groups: decayOff ? undefined : c.weight_decay, weight_decay_1d: c.weight_decay_1d };
  const optimizers = new GroupOptimizers(groups, { early: 0, middle: 0, head: 0 }, c.eps, groupWeightDecay(groups, config));
  for (const step of c.steps) {
    optimizers.setLearningRates({ early: step.lr, middle: step.lr, head: step.lr });
    const grads: tf.NamedTensorMap = {};
    c.params.forEach((p, i) => {
      grads[(variables[i] as tf.LayerVariable).name] = tf.tensor(step.grads[i] as number[], p.shape);
    });
    optimizers.apply(grads);
    tf.dispose(Object.values(grads));
  }
  const values = variables.map((v) => Array.from(v.read().dataSync()));
  optimizers.dispose();
  variables.forEach((v) => v.dispose());
  return values;
}

beforeAll(async () => {
  expect(loadWasmForTraining()).toBe(true);
  enableTraining('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamW (train.weight_decay)', () => {
  it.each([
    ['cpu', true],
    ['wasm', true],
    // Without Tim's kernel the stock Adam steps, as on webgpu.
    ['cpu', false],
  ])('matches torch.optim.AdamW with timm’s exclusions on %s (fused kernel: %s), and leaves no tensors behind', async (backend, fused) => {
    await tf.setBackend(backend);
    const kernel = tf.getKernel(ADAM, backend);
    if (!fused && kernel) tf.unregisterKernel(ADAM, backend);
    try {
      expect(timKernelAvailable(ADAM)).toBe(fused);
      checkAgainstTorch();
    } finally {
      if (!fused && kernel) tf.registerKernel(kernel);
    }
  });

  function checkAgainstTorch(): void {
    const want = golden();
    adamWCases().forEach((c, k) => {
      const before = tf.memory().numTensors;
      const got = runCase(c);
      expect(tf.memory().numTensors).toBe(before);
      const plain = runCase(c, true);
      c.params.forEach((p, i) => {
        const reference = want[k]?.[i] as number[];
        expect({ k, name: p.name, ok: relativeError(got[i] as number[], reference) < 1e-6 }).toEqual({ k, name: p.name, ok: true });
        const decayed = c.weight_decay[p.group] > 0 && (c.weight_decay_1d || p.shape.length > 1);
        expect({ k, name: p.name, decayMatters: relativeError(plain[i] as number[], reference) > 1e-5 }).toEqual({ k, name: p.name, decayMatters: decayed });
      });
    });
  }

  it('excludes weights of rank 1 (biases, norms, LayerScale gammas) unless weight_decay_1d, and takes each group’s override', () => {
    const v = (shape: number[]): tf.LayerVariable => layerVariable(tf.zeros(shape), 'wd_rule');
    const groups: GroupVariables = { early: [v([3, 3, 2, 4]), v([4])], middle: [v([5, 2])], head: [v([2])] };
    const decay = groupWeightDecay(groups, { weight_decay: 0.05, weight_decay_groups: { middle: 0 }, weight_decay_1d: false });
    expect(decay.early.rate).toBe(0.05);
    expect([...decay.early.decayed]).toEqual([groups.early[0]?.name]);
    expect(decay.middle).toEqual({ rate: 0, decayed: new Set() });
    expect([...decay.head.decayed]).toEqual([]);
    const all = groupWeightDecay(groups, { weight_decay: 0.05, weight_decay_1d: true });
    expect([...all.head.decayed]).toEqual([groups.head[0]?.name]);
    for (const g of Object.values(groups)) for (const x of g) x.dispose();
  });
});
