import { TimError } from '../core/errors';
import { replaceHead } from './head';
import { getArchSpec } from './registry';
import type { TimModel } from './types';
import { assignStateDict, headClassesOf, toTorchvisionNames } from './weights/assign';
import { readWeightFile } from './weights/read';

export interface LoadPretrainedOptions {
  /** A different class count replaces the file's head with a freshly initialised one. */
  numClasses?: number;
  /** Input size the built model declares (the weights do not depend on it). Default: any size. */
  inputSize?: number;
  /** Seed of the replacement head. */
  seed?: number;
}

/**
 * Builds `arch` with the weights of a PyTorch (.pth/.pt), safetensors, or converted Keras/tfjs
 * (model.json) file, keeping the file's classifier unless `numClasses` asks for another.
 */
export async function loadPretrained(arch: string, file: string, opts: LoadPretrainedOptions = {}): Promise<TimModel> {
  const spec = getArchSpec(arch);
  const { format, tensors: raw } = readWeightFile(file);
  const tensors = toTorchvisionNames(spec, raw, format);
  const fileClasses = headClassesOf(spec, tensors);
  if (fileClasses === undefined) {
    // Let the key check say what is wrong (another architecture, or no classifier).
    const probe = spec.build({ numClasses: 1, initialize: false });
    try {
      assignStateDict(probe, spec, tensors, file);
    } finally {
      probe.dispose();
    }
    throw new TimError(`${file}: no classifier weight '${spec.pretrained.classifier}.weight'`);
  }
  const model = spec.build({ numClasses: fileClasses, inputSize: opts.inputSize, initialize: false });
  try {
    assignStateDict(model, spec, tensors, file);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const tm: TimModel = { spec, model, numClasses: fileClasses };
  if (opts.numClasses === undefined || opts.numClasses === fileClasses) return tm;
  const swapped = replaceHead(tm, opts.numClasses, opts.seed ?? 0);
  model.getLayer(spec.headLayerNames[spec.headLayerNames.length - 1] ?? '').dispose();
  return swapped;
}
