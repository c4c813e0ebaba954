import { z } from 'zod';
import { RESIZE_MODES } from '../../config/schema';
import { MODEL_JSON } from '../model-io';
import { jsonFile } from './json-file';
import { preprocessSpecSchema } from './preprocess';
import { labelsSchema } from './split';

/**
 * A web export folder (`tim export web`): a static page that classifies and explains pictures in
 * the browser. Names are a contract (stock `tf.loadLayersModel` and ml5 read some of them).
 */
export const EXPORT_FILES = {
  page: 'index.html',
  script: 'app.js',
  /** The model's topology and weight manifest; the weights lie beside it in `group1-shardNofM.bin`. */
  model: MODEL_JSON,
  metadata: 'metadata.json',
  labels: 'labels.json',
  preprocessing: 'preprocessing.json',
} as const;

/** The wasm backend's binaries, copied beside the page: it loads the one the browser can run from there. */
export const EXPORT_WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/** The name of weight shard `index` (0-based) of `count`, as tensorflowjs_converter names them. */
export function weightShardName(index: number, count: number): string {
  return `group1-shard${index + 1}of${count}.bin`;
}

/** Any weight shard's name (older exports may have had other groups). */
export const WEIGHT_SHARD_PATTERN = /^group\d+-shard\d+of\d+\.bin$/;

/** Held-out accuracy with its bootstrap 95% interval, where metrics.json has one. */
const accuracyFigureSchema = z.object({ accuracy: z.number(), lo: z.number().optional(), hi: z.number().optional(), n: z.number() });
export type AccuracyFigure = z.output<typeof accuracyFigureSchema>;

/**
 * metadata.json. The top-level keys are Teachable Machine's image model metadata (which ml5's
 * imageClassifier reads for labels and size); Tim's own facts go under `tim`.
 */
export const webMetadataSchema = z.looseObject({
  tfjsVersion: z.string(),
  tmVersion: z.string(),
  packageVersion: z.string(),
  packageName: z.string(),
  timeStamp: z.string(),
  userMetadata: z.record(z.string(), z.unknown()),
  modelName: z.string(),
  labels: z.array(z.string()),
  imageSize: z.number(),
  tim: z.looseObject({
    arch: z.string(),
    run: z.string(),
    camTargetLayer: z.string(),
    preprocessing: z.object({ resize: z.enum(RESIZE_MODES), mean: z.array(z.number()), std: z.array(z.number()) }),
    quantization: z.enum(['none', 'float16', 'uint8']),
    /** Held-out accuracy of the run's float model (metrics.json), and of these weights. */
    heldOut: z.object({ float: accuracyFigureSchema.optional(), exported: accuracyFigureSchema.optional() }).optional(),
    /** The run's calibration: the page shows softmax(logits / temperature), and "not confidently" below the threshold. */
    calibration: z.object({ temperature: z.number(), unknownThreshold: z.number() }).optional(),
  }),
});
export type WebMetadata = z.output<typeof webMetadataSchema>;

export const webMetadataFile = jsonFile({ name: EXPORT_FILES.metadata, schema: webMetadataSchema });

/** labels.json of an export: the class names in the model's output order, on one line. */
export const exportLabelsFile = jsonFile({ name: EXPORT_FILES.labels, schema: labelsSchema, layout: 'compact' });

/** preprocessing.json: how a picture becomes the model's input, in NHWC layout. */
export const exportPreprocessingFile = jsonFile({ name: EXPORT_FILES.preprocessing, schema: preprocessSpecSchema.extend({ layout: z.literal('NHWC') }) });
