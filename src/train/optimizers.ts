import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { adamState, AccumulatedBetas, ADAM, ADAM_IN_PLACE, adamInPlace, adamUpdate, biasCorrections, timKernelAvailable } from '@tim/tfjs-training';
import { GROUP_NAMES, type GroupName } from '../models/types';
import type { GroupVariables } from './groups';
import type { NamedTensor } from './tensor-file';
import type { PerGroup } from './types';
import type { GroupDecay } from './weight-decay';

/** PyTorch's Adam defaults. */
const BETA1 = 0.9;
const BETA2 = 0.999;

type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** A variable's value and Adam moments, and its gradient this step. */
interface VariableSlots {
  value: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  grad: tf.Tensor;
}

const NO_DECAY: GroupDecay = { rate: 0, decayed: new Set() };

/**
 * tfjs's Adam with each variable's update as one fused kernel where the backend has it (wasm,
 * cpu, webgpu): same slots, names, state and float32 arithmetic, so checkpoints and resume are unchanged.
 * With a weight decay it is torch.optim.AdamW: each decayed weight is first multiplied by
 * 1 − lr·wd, then takes the Adam step. Where Adam runs in place (webgpu) the multiply is a term
 * of that kernel; elsewhere it is its own op. Either way it is the same float32 multiply.
 */
export class FusedAdam extends tf.AdamOptimizer {
  private readonly betas: AccumulatedBetas;

  constructor(
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    private readonly decay: GroupDecay = NO_DECAY,
  ) {
    super(learningRate, beta1, beta2, epsilon);
    this.betas = new AccumulatedBetas(beta1, beta2);
  }

  override applyGradients(variableGradients: VariableGradients): void {
    const list = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    if (timKernelAvailable(ADAM)) {
      this.adamStep(list);
      return;
    }
    for (const { name } of list) this.decayWeight(variableNamed(name));
    super.applyGradients(variableGradients);
  }

  /** AdamW's factor for this step: 1 − lr·wd for a decayed variable, 1 for any other. */
  private decayFactor(name: string): number {
    return this.decay.rate > 0 && this.decay.decayed.has(name) ? 1 - this.learningRate * this.decay.rate : 1;
  }

  /** p ← p·(1 − lr·wd), with the step's learning rate, as AdamW before its Adam update. */
  private decayWeight(value: tf.Variable): void {
    const factor = this.decayFactor(value.name);
    if (factor !== 1) tf.tidy(() => value.assign(tf.mul(value, factor)));
  }

  private adamStep(list: { name: string; tensor: tf.Tensor }[]): void {
    const self = adamState(this);
    tf.tidy(() => {
      const attrs = { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate };
      const inPlace = timKernelAvailable(ADAM_IN_PLACE);
      const shared: VariableSlots[] = [];
      const owned: (VariableSlots & { decayFactor: number })[] = [];
      list.forEach(({ name, tensor: gradient }, i) => {
        const value = variableNamed(name);
        const slot = (suffix: string) => ({ originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) });
        self.accumulatedFirstMoment[i] ??= slot('m');
        self.accumulatedSecondMoment[i] ??= slot('v');
        const slots = { value, m: self.accumulatedFirstMoment[i].variable, v: self.accumulatedSecondMoment[i].variable, grad: gradient };
        // A reshape or clone of a variable shares its data: overwriting it would change that too.
        if (inPlace && [slots.value, slots.m, slots.v].every((t) => tf.engine().backend.refCount(t.dataId) === 1)) owned.push({ ...slots, decayFactor: this.decayFactor(name) });
        else shared.push(slots);
      });
      if (owned.length > 0) {
        // The running products this step's accBeta1 and accBeta2 hold, known without reading them back.
        const [d1, d2] = biasCorrections(...this.betas.at(this.iterations));
        adamInPlace(owned, { ...attrs, d1, d2 });
      }
      for (const { value, m, v, grad } of shared) {
        this.decayWeight(value);
        const [w2, m2, v2] = adamUpdate({ value, m, v, grad, accBeta1: self.accBeta1, accBeta2: self.accBeta2 }, attrs);
        m.assign(m2);
        v.assign(v2);
        value.assign(w2);
      }
      self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

function variableNamed(name: string): tf.Variable {
  const value = tf.engine().registeredVariables[name];
  if (!value) throw new Error(`FusedAdam: no variable named ${name}`);
  return value;
}

const SEP = '::';

/**
 * One Adam per learning-rate group. tfjs keeps an optimizer's slots by the position of each
 * variable in the list it is given, so each group's optimizer always receives the same
 * variables in the same order.
 */
export class GroupOptimizers {
  private readonly adams: Partial<Record<GroupName, tf.AdamOptimizer>> = {};

  constructor(
    private readonly groups: GroupVariables,
    lr: PerGroup<number>,
    epsilon: number,
    decay?: PerGroup<GroupDecay>,
  ) {
    for (const g of GROUP_NAMES) {
      if (groups[g].length > 0) this.adams[g] = new FusedAdam(lr[g], BETA1, BETA2, epsilon, decay?.[g]);
    }
  }

  get trainedGroups(): GroupName[] {
    return GROUP_NAMES.filter((g) => this.adams[g] !== undefined);
  }

  setLearningRates(lr: PerGroup<number>): void {
    for (const g of this.trainedGroups) adamState(this.adams[g] as tf.AdamOptimizer).learningRate = lr[g];
  }

  learningRates(): PerGroup<number> {
    const out: PerGroup<number> = { early: 0, middle: 0, head: 0 };
    for (const g of this.trainedGroups) out[g] = adamState(this.adams[g] as tf.AdamOptimizer).learningRate;
    return out;
  }

  /** Applies gradients keyed by variable name to `groups` (default: all); each of their variables must have one. */
  apply(grads: tf.NamedTensorMap, groups: readonly GroupName[] = this.trainedGroups): void {
    for (const g of groups) {
      const adam = this.adams[g];
      if (!adam) continue;
      const list = this.groups[g].map((v) => {
        const t = grads[v.name];
        if (!t) throw new Error(`no gradient for ${v.name}`);
        return { name: v.name, tensor: t };
      });
      adam.applyGradients(list);
    }
  }

  /**
   * Each Adam's getWeights() plus its bias-correction accumulators, under `<group>::` names.
   * The accumulators are saved because setWeights recomputes them with pow(), which can differ
   * in the last bit from the running product and would break an exact resume. Returns the
   * tensors to dispose after encoding.
   */
  async state(): Promise<{ tensors: NamedTensor[]; owned: tf.Tensor[] }> {
    const tensors: NamedTensor[] = [];
    const owned: tf.Tensor[] = [];
    for (const g of this.trainedGroups) {
      const adam = this.adams[g] as tf.AdamOptimizer;
      const weights = await adam.getWeights();
      const first = weights[0];
      if (first) owned.push(first.tensor); // the iteration count is a fresh scalar
      for (const w of weights) tensors.push({ name: `${g}${SEP}${w.name}`, tensor: w.tensor });
      const inner = adamState(adam);
      tensors.push({ name: `${g}${SEP}#accBeta1`, tensor: inner.accBeta1 }, { name: `${g}${SEP}#accBeta2`, tensor: inner.accBeta2 });
    }
    return { tensors, owned };
  }

  /** Restores state() output into freshly made optimizers (same groups, same variables). */
  async restore(tensors: NamedTensor[], source: string): Promise<void> {
    for (const g of this.trainedGroups) {
      const adam = this.adams[g] as tf.AdamOptimizer;
      const mine = tensors.filter((t) => t.name.startsWith(`${g}${SEP}`)).map((t) => ({ name: t.name.slice(g.length + SEP.length), tensor: t.tensor }));
      const slots = mine.filter((t) => !t.name.startsWith('#'));
      const expected = 1 + 2 * (slots.length > 1 ? this.groups[g].length : 0);
      if (slots.length !== expected) {
        throw new TimError(`${source}: optimizer state for group '${g}' has ${slots.length} tensors, expected ${expected} (was the run made with other settings?)`);
      }
      await adam.setWeights(slots);
      const inner = adamState(adam);
      const b1 = mine.find((t) => t.name === '#accBeta1');
      const b2 = mine.find((t) => t.name === '#accBeta2');
      if (b1 && b2) {
        inner.accBeta1.assign(b1.tensor);
        inner.accBeta2.assign(b2.tensor);
      }
    }
    for (const t of tensors) t.tensor.dispose();
  }

  dispose(): void {
    for (const g of this.trainedGroups) (this.adams[g] as tf.AdamOptimizer).dispose();
  }
}
