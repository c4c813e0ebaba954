import type * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from './access';

/**
 * Identity without a copy: the output shares the input's buffer under one more reference, as on
 * the cpu backend. The stock wasm kernel copies, and the gradient tape clones every tensor it
 * saves, so a training step paid one copy of each saved activation.
 */
export function identity(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend }): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
