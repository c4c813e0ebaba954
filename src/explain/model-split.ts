import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { unknownNameMessage } from '../core/suggest';

/**
 * A classifier cut in two at a CAM target layer: `features` maps the input to the target
 * activations, `head` maps those activations to the logits by re-applying the layers that
 * follow the target in the model's graph.
 */
export interface SplitModel {
  targetLayer: string;
  features: tf.LayersModel;
  /** Names of the layers the head re-applies, input side first. */
  headLayers: string[];
  /** Logits from target activations, in inference mode (dropout off, BatchNorm moving statistics). */
  head(activations: tf.Tensor): tf.Tensor2D;
}

interface TailStep {
  layer: tf.layers.Layer;
  callArgs: Record<string, unknown>;
}

/** One step back along the graph: the single symbolic tensor a tensor was computed from. */
function singleInput(t: tf.SymbolicTensor): tf.SymbolicTensor | 'input' | 'branch' {
  const inputs = t.inputs;
  if (inputs.length === 0) return 'input';
  if (inputs.length > 1) return 'branch';
  return inputs[0] as tf.SymbolicTensor;
}

/**
 * The chain of tensors from the model output back to where the graph first joins several
 * inputs (or reaches the model input). Along that chain every layer has one input, so the
 * head after any tensor on it is a plain sequence of layers.
 */
function singlePathTail(model: tf.LayersModel): tf.SymbolicTensor[] {
  const out = model.outputs[0];
  if (!out) throw new TimError(`model '${model.name}' has no outputs`);
  const chain: tf.SymbolicTensor[] = [out];
  let t = out;
  for (;;) {
    const prev = singleInput(t);
    if (prev === 'input' || prev === 'branch') break;
    chain.push(prev);
    t = prev;
  }
  return chain;
}

function isFeatureMap(t: tf.SymbolicTensor): boolean {
  return t.shape.length === 4;
}

/**
 * Layers that can serve as CAM targets: those on the single-path tail whose output is a
 * spatial (NHWC) feature map. Nearest the output first.
 */
export function camTargetCandidates(model: tf.LayersModel): string[] {
  return singlePathTail(model)
    .filter((t) => isFeatureMap(t) && t.sourceLayer.getClassName() !== 'InputLayer')
    .map((t) => t.sourceLayer.name);
}

/** Splits `model` at `layerName`; fails with the valid names when it cannot. */
export function splitAtLayer(model: tf.LayersModel, layerName: string): SplitModel {
  const candidates = camTargetCandidates(model);
  const exists = model.layers.some((l) => l.name === layerName);
  if (!exists) throw new TimError(unknownNameMessage(`target layer of model '${model.name}'`, layerName, candidates));
  const tail = singlePathTail(model);
  const at = tail.findIndex((t) => t.sourceLayer.name === layerName);
  if (at < 0) {
    throw new TimError(
      `target layer '${layerName}' is not on a single path to the output (a later layer joins several inputs); ` +
        `layers usable as CAM targets: ${candidates.join(', ')}`,
    );
  }
  const target = tail[at] as tf.SymbolicTensor;
  if (!isFeatureMap(target)) {
    throw new TimError(
      `target layer '${layerName}' outputs shape [${target.shape.join(', ')}], not a spatial feature map; ` +
        `layers usable as CAM targets: ${candidates.join(', ')}`,
    );
  }
  // The tensors after the target, input side first; each was produced by one layer call.
  const steps: TailStep[] = tail
    .slice(0, at)
    .reverse()
    .map((t) => ({ layer: t.sourceLayer, callArgs: { ...(t.callArgs as Record<string, unknown>) } }));
  // A sub-model that shares the original layers; it owns no weights, so it is never disposed.
  const features = tf.model({ inputs: model.inputs, outputs: target, name: `${model.name}_to_${layerName.replace(/[^\w]/g, '_')}` });
  return {
    targetLayer: layerName,
    features,
    headLayers: steps.map((s) => s.layer.name),
    head(activations: tf.Tensor): tf.Tensor2D {
      let y: tf.Tensor = activations;
      for (const s of steps) {
        // Concrete tensors make apply() call the layer directly, adding nothing to the graph.
        y = s.layer.apply(y, { ...s.callArgs, training: false }) as tf.Tensor;
      }
      if (y.rank !== 2) throw new TimError(`model '${model.name}': the head after '${layerName}' gives rank ${y.rank}, expected logits [batch, classes]`);
      return y as tf.Tensor2D;
    },
  };
}
