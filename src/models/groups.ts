import * as tf from '@tensorflow/tfjs';
import { GROUP_NAMES, type GroupName, type TimModel } from './types';

/**
 * The trainable weights of each learning-rate group, in model order (stable across calls, as
 * one optimizer per group needs). `stem` says where the layers the reference left out of every
 * group go: 'early' trains them with the early layers, 'frozen' leaves them out. Frozen layers
 * (layer.trainable = false) contribute nothing.
 */
export function groupVariables(tm: TimModel, stem: 'early' | 'frozen'): Record<GroupName, tf.LayerVariable[]> {
  const groups: Record<GroupName, tf.LayerVariable[]> = { early: [], middle: [], head: [] };
  for (const layer of tm.model.layers) {
    const g = tm.spec.groupOfLayer(layer.name);
    const target = g === 'stem' ? (stem === 'early' ? 'early' : undefined) : g;
    if (target === undefined) continue;
    groups[target].push(...layer.trainableWeights);
  }
  return groups;
}

/** Layer names per group (including 'stem'), for logs and tests. */
export function layerGroups(tm: TimModel): Record<GroupName | 'stem', string[]> {
  const out: Record<GroupName | 'stem', string[]> = { stem: [], early: [], middle: [], head: [] };
  for (const layer of tm.model.layers) out[tm.spec.groupOfLayer(layer.name)].push(layer.name);
  return out;
}

/**
 * Parameters of one layer as PyTorch counts them: every weight except BatchNorm's running
 * statistics, which PyTorch keeps as buffers. Independent of which layers are frozen.
 */
export function layerParameterCount(layer: tf.layers.Layer): number {
  const isBn = layer.getClassName() === 'BatchNormalization';
  let n = 0;
  for (const w of layer.weights) {
    if (isBn && /moving_(mean|variance)$/.test(w.originalName)) continue;
    n += w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
  }
  return n;
}

/** Parameters of a model as PyTorch counts them (see layerParameterCount). */
export function countParameters(model: tf.LayersModel): number {
  return model.layers.reduce((n, layer) => n + layerParameterCount(layer), 0);
}

export { GROUP_NAMES };
