import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { SeedStream, torchLinearInit } from './blocks';
import type { TimModel } from './types';

/**
 * Swaps the classifier for a freshly initialised one with `numClasses` outputs (PyTorch's
 * nn.Linear initialisation), as the reference did with `model.fc = nn.Linear(...)`. Every other
 * layer is shared with `tm.model`, weights included; the old classifier is left to the caller's
 * model (dispose the old model's head only if it is no longer used).
 */
export function replaceHead(tm: TimModel, numClasses: number, seed = 0): TimModel {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new TimError(`replaceHead: numClasses must be a positive integer, got ${numClasses}`);
  }
  const headName = tm.spec.headLayerNames[tm.spec.headLayerNames.length - 1];
  const old = tm.model.layers.find((l) => l.name === headName);
  if (!old || headName === undefined) {
    throw new TimError(`replaceHead: ${tm.spec.name} model has no classifier layer '${headName ?? '?'}'`);
  }
  const features = old.input as tf.SymbolicTensor;
  const fanIn = features.shape[features.shape.length - 1];
  if (typeof fanIn !== 'number') throw new TimError(`replaceHead: '${headName}' has an input of unknown width`);
  const init = torchLinearInit(fanIn, new SeedStream(seed + 7919));
  const head = tf.layers.dense({ units: numClasses, name: headName, kernelInitializer: init.kernel, biasInitializer: init.bias });
  const logits = head.apply(features) as tf.SymbolicTensor;
  const model = tf.model({ inputs: tm.model.inputs, outputs: logits, name: tm.model.name });
  return { spec: tm.spec, model, numClasses };
}
