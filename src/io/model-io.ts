import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { TimError } from '../core/errors';
import { replaceDirAtomic } from './atomic';
import { readJsonFile } from './json-file';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface SaveOptions {
  /** Extra files written into the same folder in the same atomic swap (optimizer state, metadata). */
  extraFiles?: Record<string, string | Uint8Array>;
  /** Stored under `userDefinedMetadata` in model.json. */
  metadata?: Record<string, unknown>;
}

function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

/**
 * Saves a LayersModel as `model.json` + `weights.bin` (the tfjs layers format, readable by
 * tf.loadLayersModel anywhere), without needing tfjs-node's file:// handler.
 */
export async function saveModel(model: tf.LayersModel, dir: string, opts: SaveOptions = {}): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new TimError(`saving ${dir}: the model produced no artifacts`);
  const a = artifacts;
  const weights = new Uint8Array(joinWeightData(a.weightData));
  const modelJson = {
    format: 'layers-model',
    generatedBy: a.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: a.convertedBy ?? null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs ?? [] }],
    ...(opts.metadata ? { userDefinedMetadata: opts.metadata } : {}),
  };
  await replaceDirAtomic(dir, (tmp) => {
    fs.writeFileSync(path.join(tmp, WEIGHTS_BIN), weights);
    fs.writeFileSync(path.join(tmp, MODEL_JSON), JSON.stringify(modelJson));
    for (const [name, content] of Object.entries(opts.extraFiles ?? {})) {
      fs.writeFileSync(path.join(tmp, name), content);
    }
  });
}

const weightSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().min(0)),
  dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
  group: z.enum(['model', 'optimizer']).optional(),
  quantization: z.object({ scale: z.number().optional(), min: z.number().optional(), dtype: z.enum(['uint16', 'uint8', 'float16']) }).optional(),
}) satisfies z.ZodType<tf.io.WeightsManifestEntry>;

/** model.json of the tfjs layers format; the topology is checked by tfjs when it builds the model. */
const modelJsonSchema = z.looseObject({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(weightSpecSchema) })),
  userDefinedMetadata: z.record(z.string(), z.unknown()).optional(),
  format: z.string().optional(),
});

const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** The bytes a manifest group's tensors take; undefined when one has no fixed size (strings). */
function manifestBytes(weights: readonly z.infer<typeof weightSpecSchema>[]): number | undefined {
  let total = 0;
  for (const w of weights) {
    const per = BYTES_PER_VALUE[w.quantization?.dtype ?? w.dtype];
    if (per === undefined) return undefined;
    total += w.shape.reduce((a, b) => a * b, 1) * per;
  }
  return total;
}

/**
 * A weight file's bytes must be exactly what the manifest describes: tfjs reads the tensors in
 * order and ignores what is left over, so stray bytes (or a shifted copy) would load silently.
 */
function checkGroupBytes(group: { paths: string[]; weights: z.infer<typeof weightSpecSchema>[] }, read: readonly Buffer[], base: string, jsonPath: string): void {
  const expected = manifestBytes(group.weights);
  if (expected === undefined) return;
  const actual = read.reduce((n, b) => n + b.length, 0);
  if (actual === expected) return;
  const files = group.paths.map((p) => path.join(base, p)).join(' + ');
  throw new TimError(
    `${files}: ${actual} bytes, but the weightsManifest of ${jsonPath} describes ${expected} bytes (${group.weights.length} tensors); ` +
      `expected exactly that many: the weights are ${actual > expected ? 'followed by stray bytes' : 'truncated'}`,
  );
}

/** Reads a model folder (or a model.json path) into artifacts without any IO handler. */
export function readModelArtifacts(dirOrJson: string): { artifacts: tf.io.ModelArtifacts; metadata?: Record<string, unknown> } {
  const jsonPath = dirOrJson.endsWith('.json') ? dirOrJson : path.join(dirOrJson, MODEL_JSON);
  if (!fs.existsSync(jsonPath)) throw new TimError(`${jsonPath}: model file not found`);
  const parsed = readJsonFile(jsonPath, modelJsonSchema, 'expected a tfjs layers model (modelTopology and weightsManifest)');
  const base = path.dirname(jsonPath);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of parsed.weightsManifest) {
    weightSpecs.push(...group.weights);
    const read: Buffer[] = [];
    for (const p of group.paths) {
      const f = path.join(base, p);
      if (!fs.existsSync(f)) throw new TimError(`${f}: weight file named in ${jsonPath} is missing`);
      read.push(fs.readFileSync(f));
    }
    checkGroupBytes(group, read, base, jsonPath);
    buffers.push(...read);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return {
    artifacts: { modelTopology: parsed.modelTopology, weightSpecs, weightData, format: parsed.format },
    metadata: parsed.userDefinedMetadata,
  };
}

/**
 * Loads a model folder saved by saveModel, by tfjs-node, or by tensorflowjs_converter;
 * `editTopology` may rewrite the parsed topology first.
 */
export async function loadModel(dirOrJson: string, editTopology?: (topology: unknown) => unknown): Promise<tf.LayersModel> {
  const { artifacts } = readModelArtifacts(dirOrJson);
  if (editTopology) artifacts.modelTopology = editTopology(artifacts.modelTopology) as tf.io.ModelArtifacts['modelTopology'];
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new TimError(`${dirOrJson}: cannot build the model (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
}
