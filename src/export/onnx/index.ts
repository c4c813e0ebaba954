import * as path from 'path';
import type { InferenceRun } from '../../inference/inference-run';
import { writeFileAtomic } from '../../io/atomic';
import { encodeOnnx } from './write';

export { encodeOnnx, decodeOnnx } from './write';
export { ONNX_OPSET } from './graph';

/**
 * What a consumer of the .onnx file needs besides the graph, as metadata_props: the classes in
 * output order and the preprocessing the model expects (the graph takes normalised NHWC input).
 */
export function onnxMetadata(run: InferenceRun): Record<string, string> {
  return {
    arch: run.tm.spec.name,
    labels: JSON.stringify(run.labels),
    preprocessing: JSON.stringify({ ...run.spec, layout: 'NHWC', range: '0-1 RGB, then (x - mean) / std' }),
    run: path.basename(path.resolve(run.dir)),
    // softmax(logits / temperature) are the calibrated probabilities; below the threshold on
    // the top one, the image is "not confidently one of the artists".
    ...(run.calibration
      ? { calibration: JSON.stringify({ temperature: run.calibration.temperature, unknown_threshold: run.calibration.unknown.threshold, score: run.calibration.unknown.score }) }
      : {}),
  };
}

/** Writes the run's best model as an ONNX file; returns its size in bytes. */
export async function exportOnnx(run: InferenceRun, file: string): Promise<number> {
  const bytes = await encodeOnnx(run.tm.model, run.tm.spec.name, {
    metadata: onnxMetadata(run),
    docString: `Tim ${run.tm.spec.name} from ${run.dir}: input 'input' [batch, height, width, 3], normalised RGB; output 'logits' [batch, ${run.labels.length}]`,
  });
  writeFileAtomic(file, bytes);
  return bytes.length;
}
