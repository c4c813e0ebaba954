import type * as tf from '@tensorflow/tfjs';
import { GROUP_NAMES, type GroupName } from '../models/types';
import type { PerGroup } from './types';

export type GroupVariables = PerGroup<tf.LayerVariable[]>;

export interface TrainedGroupsOptions {
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
