import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/schema';
import { GROUP_NAMES } from '../models/types';
import type { GroupVariables } from './groups';
import type { PerGroup } from './types';

/** What AdamW decays in one group: the rate, and the variables it applies to (by name). */
export interface GroupDecay {
  rate: number;
  decayed: ReadonlySet<string>;
}

/**
 * Whether a variable takes weight decay. As timm's param_groups_weight_decay: weights of rank
 * 1 or less (biases, BatchNorm and LayerNorm scales and shifts, LayerScale gammas) do not,
 * unless `weight_decay_1d` says so; decaying a norm's scale pulls it towards zero and fights
 * the normalisation instead of regularising.
 */
export function takesWeightDecay(variable: tf.LayerVariable, config: Pick<TrainConfig, 'weight_decay_1d'>): boolean {
  return config.weight_decay_1d || variable.shape.length > 1;
}

/** Each group's decay rate (its override, else train.weight_decay) and decayed variables. */
export function groupWeightDecay(groups: GroupVariables, config: Pick<TrainConfig, 'weight_decay' | 'weight_decay_groups' | 'weight_decay_1d'>): PerGroup<GroupDecay> {
  const entry = (g: (typeof GROUP_NAMES)[number]): GroupDecay => {
    const rate = config.weight_decay_groups?.[g] ?? config.weight_decay;
    const decayed = rate > 0 ? groups[g].filter((v) => takesWeightDecay(v, config)).map((v) => v.name) : [];
    return { rate, decayed: new Set(decayed) };
  };
  return { early: entry('early'), middle: entry('middle'), head: entry('head') };
}
