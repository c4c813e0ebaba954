import * as tf from '@tensorflow/tfjs';
import { TimError } from '../../core/errors';
import { readModelArtifacts } from '../../io/model-io';
import { decodeElements, numel, type StateDict } from './tensor';

const TF_DTYPES: Record<string, string> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/**
 * Reads the weights of a tfjs layers model (`model.json` + shards), as tensorflowjs_converter
 * writes a Keras application or Tim saves a model. Names stay as the manifest has them
 * (`layer_name/kernel`); values keep the tfjs layout (HWIO kernels, [in, out] dense kernels).
 */
export function readTfjsWeights(jsonPath: string): StateDict {
  const { artifacts } = readModelArtifacts(jsonPath);
  const data = Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
  const out: StateDict = new Map();
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    if (spec.quantization) throw new TimError(`${jsonPath}: weight '${spec.name}' is quantized; convert the model without quantization`);
    const dtype = TF_DTYPES[spec.dtype];
    if (dtype === undefined) throw new TimError(`${jsonPath}: weight '${spec.name}' has unsupported dtype ${spec.dtype}`);
    const count = numel(spec.shape);
    if (offset + count * 4 > data.length) throw new TimError(`${jsonPath}: weight '${spec.name}' runs past the end of the weight files; truncated?`);
    const values = decodeElements(data, offset, count, dtype === 'BOOL' ? 'U8' : dtype);
    offset += count * (dtype === 'BOOL' ? 1 : 4);
    if (values) out.set(spec.name.replace(/:0$/, ''), { shape: [...spec.shape], dtype, data: values, layout: 'tf' });
  }
  return out;
}

/** Keras/tfjs parameter names to PyTorch's, for layers whose torch counterpart has the same role. */
export const TF_PARAM_TO_TORCH: Record<string, string> = {
  kernel: 'weight',
  depthwise_kernel: 'weight',
  bias: 'bias',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

/** Splits `a/b/layer_name/param` into the layer's own name and the parameter name. */
export function splitTfWeightName(name: string): { layer: string; param: string } {
  const parts = name.split('/');
  return { param: parts[parts.length - 1] ?? '', layer: parts[parts.length - 2] ?? '' };
}
