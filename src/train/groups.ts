import type * as tf from '@tensorflow/tfjs';
import { GROUP_NAMES, type GroupName, type TimModel } from '../models/types';
import type { PerGroup } from './types';

export type GroupVariables = PerGroup<tf.LayerVariable[]>;

/**
 * The trainable weights of each learning-rate group in layer order. Stem layers join `early`
 * unless the stem is frozen (the reference trained it in no group).
 */
export function variablesByGroup(tm: TimModel, stem: 'early' | 'frozen'): GroupVariables {
  const out: GroupVariables = { early: [], middle: [], head: [] };
  for (const layer of tm.model.layers) {
    let g = tm.spec.groupOfLayer(layer.name);
    if (g === 'stem') {
      if (stem === 'frozen') continue;
      g = 'early';
    }
    out[g].push(...layer.trainableWeights);
  }
  return out;
}

export interface TrainedGroupsOptions {
  stem: 'early' | 'frozen';
  freezeBackbone: boolean;
  lrGroups: PerGroup<number>;
}

/**
 * The variables that actually train, per group. The baseline trains only the head; a group
 * whose base learning rate is 0 gets no optimizer and no gradients (it cannot move, and its
 * gradients would cost a backward pass through it).
 */
export function trainedGroups(all: GroupVariables, opts: TrainedGroupsOptions): GroupVariables {
  const out: GroupVariables = { early: [], middle: [], head: [] };
  for (const g of GROUP_NAMES) {
    const frozen = opts.freezeBackbone && g !== 'head';
    if (!frozen && opts.lrGroups[g] > 0) out[g] = all[g];
  }
  return out;
}

export function groupNamesWithVariables(groups: GroupVariables): GroupName[] {
  return GROUP_NAMES.filter((g) => groups[g].length > 0);
}
